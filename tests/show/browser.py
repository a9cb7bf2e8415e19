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


class Tab:
    """One page of the browser that every test navigates (opening a page costs about as
    much as loading one); each `open_page` starts from a blank page with fresh listeners."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self._page: Any = None
        self._listeners: list[tuple[str, Any]] = []

    def fresh(self, width: int) -> Any:
        """The page, blank, of `width`, with no listener of an earlier test."""
        if self._page is None or self._page.is_closed():
            self._page = self.browser.new_page(viewport={"width": width, "height": 900})
            self._listeners = []
        page = self._page
        for event, handler in self._listeners:
            page.remove_listener(event, handler)
        self._listeners = []
        page.goto("about:blank")  # nothing of the last document reaches the new listeners
        page.set_viewport_size({"width": width, "height": 900})
        return page

    def listen(self, event: str, handler: Any) -> None:
        self._page.on(event, handler)
        self._listeners.append((event, handler))


def launch() -> Iterator[Tab]:
    """Headless Chromium (one tab of it), until the generator is closed."""
    if not Path(CHROMIUM).is_file():
        _unavailable(f"no chromium at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright)")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield Tab(launched)
        launched.close()


def open_page(tab: Tab, path: Path, width: int = 1280) -> Opened:
    page = tab.fresh(width)
    opened = Opened(page, path.resolve().as_uri())
    tab.listen(
        "console",
        lambda m: (
            opened.problems.append(f"{m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    tab.listen("pageerror", lambda e: opened.problems.append(f"pageerror: {e}"))
    tab.listen("request", lambda r: opened.requests.append(r.url))
    page.goto(opened.address)
    page.wait_for_load_state("load")
    return opened
