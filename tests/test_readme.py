"""The README's examples work as written: each test module it shows records, then replays."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
EXAMPLES = [
    block
    for block in re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    if "assistants_cassette" in block
    and "def test_" in block
    # the fault-overlay example replays a committed seed recording: tests/faults tests it
    and "assistants_faults" not in block
]


def test_the_readme_shows_examples() -> None:
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_readme_example_records_and_replays(pytester: pytest.Pytester, example: str) -> None:
    pytester.makepyfile(test_readme=example)
    tests = example.count("def test_")
    recorded = pytester.runpytest("--record", "--snapshot-update")
    recorded.assert_outcomes(passed=tests)
    replayed = pytester.runpytest()
    replayed.assert_outcomes(passed=tests)
    if "snapshot" in example:
        replayed.stdout.fnmatch_lines(["*1 snapshot passed*"])
