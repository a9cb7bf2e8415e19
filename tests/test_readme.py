"""The README's example works as written: record it, then replay it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_records_and_replays(pytester: pytest.Pytester) -> None:
    (example,) = [
        block
        for block in re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
        if "assistants_cassette" in block and "def test_" in block
    ]
    pytester.makepyfile(test_readme=example)
    recorded = pytester.runpytest("--record", "--snapshot-update")
    recorded.assert_outcomes(passed=1)
    replayed = pytester.runpytest()
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(["*1 snapshot passed*"])
