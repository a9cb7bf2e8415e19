"""The browser the trace page tests open pages in (`tests.show.browser`): one per worker,
its one tab navigated by every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.show.browser import Tab, launch


@pytest.fixture(scope="session")
def browser() -> Iterator[Tab]:
    yield from launch()
