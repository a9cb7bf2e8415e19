"""Headless Chromium for the trace page tests: Debian's `chromium`, driven by Playwright.

Without chromium or Playwright the tests are skipped with the reason, except in CI
(`CI` set), where they fail: CI installs both (`.ci/run`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("HARNESS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = bool(os.environ.get("CI"))  # read at import: the suite's autouse fixture unsets it
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "trace-screenshots"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI must run the browser tests: see .ci/run)", pytrace=False)
    pytest.skip(reason)


@dataclass
class Opened:
    """A page as the browser loaded it, with what it complained about and asked for."""

    page: Any
    address: str
    problems: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def network(self) -> list[str]:
        """Requests for anything but the page itself (and inline data)."""
        return [u for u in self.requests if not u.startswith("data:") and u != self.address]


def launch() -> Iterator[Any]:
    """Headless Chromium, until the generator is closed."""
    if not Path(CHROMIUM).is_file():
        _unavailable(f"no chromium at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright)")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def open_page(browser: Any, path: Path, width: int = 1280) -> Opened:
    page = browser.new_page(viewport={"width": width, "height": 900})
    opened = Opened(page, path.resolve().as_uri())
    page.on(
        "console",
        lambda m: (
            opened.problems.append(f"{m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda e: opened.problems.append(f"pageerror: {e}"))
    page.on("request", lambda r: opened.requests.append(r.url))
    page.goto(opened.address)
    page.wait_for_load_state("load")
    return opened
