"""The README's example works as written: record it, then replay it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_records_and_replays(pytester: pytest.Pytester) -> None:
    section = README.read_text().split("\n## Record your own assistant tests\n")[1]
    section = section.split("\n## ")[0]
    (example,) = [
        block
        for block in re.findall(r"```python\n(.*?)```", section, re.S)
        if "assistants_cassette" in block and "def test_" in block
    ]
    pytester.makepyfile(test_readme=example)
    recorded = pytester.runpytest_subprocess("--record", "--snapshot-update")
    recorded.assert_outcomes(passed=1)
    replayed = pytester.runpytest_subprocess()
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(["*1 snapshot passed*"])
