"""Fixtures shared by the project's tests."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from pathlib import Path

import openai.resources.beta.beta  # noqa: F401
import pytest

# Imported once here, before any pytester snapshot of `sys.modules`: the in-process
# pytest runs of the plugin tests then reuse them instead of importing them again.
import harness.active
import harness.emulator
import harness.invariants
import harness.pytest_scenarios
import harness.scenarios
import harness.snapshot  # noqa: F401
from tests.support.echo_server import echo_server

# More of the same, which every in-process run imported afresh (some 200 modules each):
# the trace page and fault modules, vcrpy's patches (with requests and urllib3), the parts
# of uvicorn a server loads when it starts, and the SDK's connection pool (openai 3.x, 2.x).
for _name in (
    "harness.faults",
    "harness.show",
    "harness.show.failure",
    "openai.resources.files",
    "uvicorn.lifespan.on",
    "uvicorn.loops.auto",
    "vcr.patch",
    "vcr.stubs.httpx_stubs",
    "httpcore2",
    "httpcore",
):
    with contextlib.suppress(ImportError):
        importlib.import_module(_name)


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where a module's tests keep the recording they share (`tests.support.recorded_once`)."""
    return tmp_path_factory.mktemp("recorded") / "cassettes"


@pytest.fixture
def echo_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[dict[str, object]]]]:
    """A loopback echo server set as the live backend (OPENAI_BASE_URL)."""
    with echo_server() as (base_url, seen):
        monkeypatch.setenv("OPENAI_BASE_URL", base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-planted-0123456789abcdef")
        yield base_url, seen


@pytest.fixture(autouse=True)
def _not_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests that record on purpose run as on a developer's machine.

    CI=true makes the plugin refuse to record; the tests that check that set
    it themselves.
    """
    monkeypatch.delenv("CI", raising=False)
    # Inner pytest runs (pytester) must not think they are xdist workers.
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
