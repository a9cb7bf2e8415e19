"""The browser the trace page tests open pages in (`tests.show.browser`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.show.browser import launch


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()
