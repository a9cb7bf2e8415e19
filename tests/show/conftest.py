"""The browser the trace page tests open pages in (`tests.show.browser`): one per module,
its one tab navigated by every test. Not one per session: while Playwright's sync API runs,
the thread has an event loop, and later tests that start their own (asyncio, anyio) fail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.show.browser import Tab, launch


@pytest.fixture(scope="module")
def browser() -> Iterator[Tab]:
    yield from launch()
