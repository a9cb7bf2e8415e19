"""Parity inside pytest: `assert_same_conversation` and the marker argument `parity=`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PORT = ROOT / "tests" / "support" / "ported_tutor.py"


def test_assert_same_conversation_names_the_differences(
    pytester: pytest.Pytester, ported: Path, old_side: Path
) -> None:
    pytester.makepyfile(
        test_parity=f"""
        from harness import assert_same_conversation

        OLD = {str(old_side / "function_quiz.yaml")!r}

        def test_port_matches():
            assert_same_conversation(OLD, {str(ported / "ported" / "function_quiz.yaml")!r})

        def test_broken_port():
            assert_same_conversation(OLD, {str(ported / "renamed_argument" / "function_quiz.yaml")!r})

        def test_wording_accepted():
            assert_same_conversation(
                {str(old_side / "follow_up.yaml")!r},
                {str(ported / "ported" / "follow_up.yaml")!r},
                accept=["wording"],
            )
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ParityError: *renamed_argument/function_quiz.yaml does not hold the conversation *",
            "*turn 1: the assistant called display_quiz with title before, and without now; "
            "with name now, and without before",
        ]
    )


def test_marker_parity_checks_the_conversation_after_the_test(
    pytester: pytest.Pytester, ported: Path, old_side: Path
) -> None:
    for folder in ("ported", "renamed_argument"):
        shutil.copytree(ported / folder, pytester.path / "cassettes" / folder)
    (pytester.path / "old").mkdir()
    shutil.copy(old_side / "function_quiz.yaml", pytester.path / "old")
    source = PORT.read_text()
    for name in ("ported/function_quiz", "renamed_argument/function_quiz"):
        source = source.replace(
            f'name="{name}")', f'name="{name}", parity="old/function_quiz.yaml")'
        )
    pytester.makepyfile(test_tutor_port=source)
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "-k", "test_function_quiz and not missing"
    )
    # the check runs after the test: the broken port's test passes, its teardown errs
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_function_quiz_renamed_argument*",
            "*renamed_argument/function_quiz.yaml does not hold the conversation *old/function_quiz.yaml holds:",
            "*turn 1: the assistant called display_quiz with title before, and without now;*",
        ]
    )


def test_marker_parity_names_a_missing_cassette(pytester: pytest.Pytester, ported: Path) -> None:
    shutil.copytree(ported / "ported", pytester.path / "cassettes" / "ported")
    source = PORT.read_text().replace(
        'name="ported/math_tutor")', 'name="ported/math_tutor", parity="old/nothing.yaml")'
    )
    pytester.makepyfile(test_tutor_port=source)
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "test_math_tutor")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*parity: *old/nothing.yaml*"])
