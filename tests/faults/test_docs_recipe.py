"""The fault overlay recipe in docs/replay-and-ci.md shows the test ids pytest really
generates for the committed example (tests/test_docs.py checks the example is the file)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = Path("tests/faults/test_quiz_faults.py")
CASSETTE = Path("cassettes/tests/faults/test_quiz_faults/test_quiz_app_recovers.yaml")


def _recipe() -> str:
    return (ROOT / "docs" / "replay-and-ci.md").read_text().split("\n## Fault overlays\n")[1]


def test_the_ids_shown_are_the_ids_pytest_generates(pytester: pytest.Pytester) -> None:
    (shown,) = re.findall(
        r"\$ pytest tests/faults/test_quiz_faults.py --collect-only -q\n(.*?)\n\d+ tests",
        _recipe(),
        re.S,
    )
    for path in (
        EXAMPLE,
        CASSETTE,
        Path("scenarios/function_quiz.yaml"),
        Path("scenarios/tools/display_quiz.json"),
    ):
        (pytester.path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, pytester.path / path)
    result = pytester.runpytest("-p", "no:cacheprovider", "--collect-only", "-q", str(EXAMPLE))
    collected = [line for line in result.stdout.lines if "::" in line]
    assert collected == shown.splitlines()
    assert len(collected) == 13
