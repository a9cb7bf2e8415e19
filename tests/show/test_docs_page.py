"""docs/trace-viewer.md's examples work as written: each test module it shows records, then
replays."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "trace-viewer.md"
EXAMPLES = re.findall(r"```python\n(# (test_\w+)\.py\n.*?)```", PAGE.read_text("utf-8"), re.S)


def test_the_page_shows_an_example() -> None:
    assert EXAMPLES


@pytest.mark.parametrize(("example", "module"), EXAMPLES, ids=[m for _, m in EXAMPLES])
def test_example_records_and_replays(pytester: pytest.Pytester, example: str, module: str) -> None:
    pytester.makepyfile(**{module: example})
    tests = example.count("def test_")
    pytester.runpytest("--record").assert_outcomes(passed=tests)
    pytester.runpytest().assert_outcomes(passed=tests)
