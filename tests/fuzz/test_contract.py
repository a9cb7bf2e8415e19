"""assert_tool_contract: the seed's display_quiz, planted bugs, the knobs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import settings

from harness.fuzz import assert_tool_contract, is_error_output, resolve_call_style
from harness.fuzz.profiles import register_profiles
from tests.fuzz._fuzz_data import (
    DISPLAY_QUIZ,
    NESTED,
    STRICT_WEATHER,
    QuizError,
    display_quiz,
    display_quiz_planted_bug,
    display_quiz_seed,
    display_quiz_validating,
    validator,
)

register_profiles()
CI = settings(settings.get_profile("ci"), max_examples=60)


def arguments_in(message: str) -> Any:
    line = next(line for line in message.splitlines() if line.strip().startswith("arguments:"))
    return json.loads(line.split("arguments:", 1)[1])


def test_display_quiz_passes_when_it_reads_optional_keys_as_optional() -> None:
    # the seed's handler does no validation of its own, so invalid arguments may succeed
    assert_tool_contract(display_quiz, DISPLAY_QUIZ, invalid_may_succeed=True, settings=CI)


def test_validating_display_quiz_passes_the_default_and_tight_contracts() -> None:
    assert_tool_contract(display_quiz_validating, DISPLAY_QUIZ, settings=CI)
    assert_tool_contract(
        display_quiz_validating, DISPLAY_QUIZ, invalid_raises=(QuizError,), settings=CI
    )


def test_planted_bug_is_caught_and_shrunk_to_a_minimal_example() -> None:
    with pytest.raises(AssertionError) as caught:
        assert_tool_contract(
            display_quiz_planted_bug, DISPLAY_QUIZ, invalid_may_succeed=True, settings=CI
        )
    message = str(caught.value)
    assert "display_quiz: tool contract broken on valid arguments" in message
    assert "raised KeyError: 'choices'" in message
    assert "handler(**arguments)" in message
    arguments = arguments_in(message)
    assert validator(DISPLAY_QUIZ).is_valid(arguments)
    assert arguments["title"] == ""
    [question] = arguments["questions"]
    assert question["question_type"] == "MULTIPLE_CHOICE"
    assert "choices" not in question
    assert question == {"question_text": "", "question_type": "MULTIPLE_CHOICE"}
    assert isinstance(caught.value.__cause__, KeyError)  # the handler's own traceback is kept


def test_the_seed_handler_verbatim_breaks_on_a_question_without_question_type() -> None:
    # question_type is optional in the seed's schema, but the seed's handler indexes it
    with pytest.raises(AssertionError) as caught:
        assert_tool_contract(display_quiz_seed, DISPLAY_QUIZ, invalid_may_succeed=True, settings=CI)
    assert "raised KeyError: 'question_type'" in str(caught.value)
    assert arguments_in(str(caught.value)) == {"title": "", "questions": [{"question_text": ""}]}


def test_a_handler_that_accepts_invalid_arguments_breaks_the_default_contract() -> None:
    with pytest.raises(AssertionError) as caught:
        assert_tool_contract(display_quiz, DISPLAY_QUIZ, settings=CI)
    message = str(caught.value)
    assert "tool contract broken on invalid arguments" in message
    assert "invalid because:" in message
    assert "expected:  raise an Exception or return an error output" in message
    assert not validator(DISPLAY_QUIZ).is_valid(arguments_in(message))


def test_invalid_raises_rejects_other_exceptions() -> None:
    def handler(title: str, questions: list[Any]) -> str:
        if not isinstance(title, str):
            raise TypeError("title")
        if not isinstance(questions, list) or not all(
            isinstance(q, dict) and "question_text" in q for q in questions
        ):
            raise QuizError("questions")
        for q in questions:
            if q.get("question_type", "FREE_RESPONSE") not in ("MULTIPLE_CHOICE", "FREE_RESPONSE"):
                raise QuizError("type")
            if not isinstance(q["question_text"], str) or not isinstance(
                q.get("choices", []), list
            ):
                raise QuizError("text")
            if not all(isinstance(c, str) for c in q.get("choices", [])):
                raise QuizError("choices")
        return "ok"

    with pytest.raises(AssertionError) as caught:
        assert_tool_contract(handler, DISPLAY_QUIZ, invalid_raises=QuizError, settings=CI)
    # a keyword handler cannot catch a missing argument: Python's call raises TypeError first
    message = str(caught.value)
    assert (
        "raised TypeError:" in message
        and "missing 1 required positional argument: 'title'" in message
    )
    assert arguments_in(message) == {"questions": []}
    assert "expected:  raise QuizError" in message
    assert_tool_contract(handler, DISPLAY_QUIZ, invalid_raises=(QuizError, TypeError), settings=CI)


def test_invalid_returns_error_wants_an_error_output() -> None:
    def dispatch(arguments: Any) -> str:
        if not validator(STRICT_WEATHER).is_valid(arguments):
            return json.dumps({"error": "bad arguments"})
        return f"sunny in {arguments['location']}"

    assert_tool_contract(dispatch, STRICT_WEATHER, invalid_returns_error=True, settings=CI)

    def raising(arguments: Any) -> str:
        if not validator(STRICT_WEATHER).is_valid(arguments):
            raise ValueError("bad arguments")
        return "sunny"

    with pytest.raises(AssertionError, match="raised ValueError: bad arguments"):
        assert_tool_contract(raising, STRICT_WEATHER, invalid_returns_error=True, settings=CI)


def test_raw_handlers_meet_malformed_json() -> None:
    def raw(text: str) -> str:
        try:
            arguments = json.loads(text)
        except ValueError:
            return "Error: arguments are not JSON"
        if not validator(NESTED).is_valid(arguments):
            return "Error: arguments do not fit the schema"
        return "ok"

    assert_tool_contract(raw, NESTED, raw=True, invalid_returns_error=True, settings=CI)

    def trusting(text: str) -> str:
        arguments = json.loads(text)
        return "Error: bad" if not validator(NESTED).is_valid(arguments) else "ok"

    with pytest.raises(AssertionError) as caught:
        assert_tool_contract(trusting, NESTED, raw=True, invalid_returns_error=True, settings=CI)
    message = str(caught.value)
    assert "invalid because: malformed JSON" in message
    assert "raised JSONDecodeError" in message
    assert "handler(arguments_text)" in message


def test_valid_outputs_must_be_json_serializable() -> None:
    with pytest.raises(AssertionError) as caught:
        assert_tool_contract(
            lambda arguments: {1, 2}, STRICT_WEATHER, check_invalid=False, settings=CI
        )
    assert "returned {1, 2}" in str(caught.value)
    assert "handler(arguments)" in str(caught.value)


def test_max_examples_overrides_settings() -> None:
    calls = []

    def handler(arguments: Any) -> str:
        calls.append(arguments)
        return "ok"

    assert_tool_contract(handler, STRICT_WEATHER, check_invalid=False, max_examples=7, settings=CI)
    assert 1 <= len(calls) <= 7


def test_call_style_rule() -> None:
    assert resolve_call_style(display_quiz, DISPLAY_QUIZ) == "kwargs"
    assert resolve_call_style(display_quiz_validating, DISPLAY_QUIZ) == "dict"
    assert resolve_call_style(lambda **kwargs: "", DISPLAY_QUIZ) == "kwargs"
    assert resolve_call_style(lambda args: "", DISPLAY_QUIZ) == "dict"
    assert resolve_call_style(print, DISPLAY_QUIZ) == "dict"
    assert resolve_call_style(lambda: "", DISPLAY_QUIZ) == "kwargs"


def test_a_tool_without_parameters_and_a_handler_without_any() -> None:
    tool = {"name": "get_time", "parameters": {"type": "object", "properties": {}}}
    assert_tool_contract(lambda: "12:00", tool, invalid_may_succeed=True, settings=CI)
    # the only invalid arguments there are: not an object, or not JSON at all
    with pytest.raises(
        AssertionError, match=r"invalid because: (wrong type at /|null at /|malformed JSON)"
    ):
        assert_tool_contract(lambda text: "12:00", tool, raw=True, settings=CI)


def test_kwargs_handlers_are_not_called_with_non_objects() -> None:
    seen: list[Any] = []

    def handler(location: Any = None, unit: Any = None, **extra: Any) -> str:
        seen.append((location, unit, extra))
        raise ValueError("no")

    with pytest.raises(AssertionError):  # valid arguments must not raise: fails there first
        assert_tool_contract(handler, STRICT_WEATHER, settings=CI)
    assert_tool_contract(
        lambda location, unit, **extra: (
            "ok"
            if isinstance(location, str) and unit in ("c", "f", None) and not extra
            else "error: bad"
        ),
        STRICT_WEATHER,
        call_style="kwargs",
        settings=CI,
    )


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("Error: title is required", True),
        ("  error", True),
        ('{"error": "bad"}', True),
        ({"error": "bad"}, True),
        ("errors are fine here", True),
        ("no error", False),
        ('{"ok": true}', False),
        (["error"], False),
        (None, False),
    ],
)
def test_error_output(output: Any, expected: bool) -> None:
    assert is_error_output(output) is expected


def test_invisible_characters_in_a_shrunk_example_are_escaped() -> None:
    from harness.fuzz import assert_tool_contract

    tool = {
        "name": "echo",
        "parameters": {
            "type": "object",
            "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 1}},
            "required": ["text"],
        },
    }

    def picky(text: str) -> str:
        if not text.isprintable():
            raise ValueError("cannot print this")
        return text

    with pytest.raises(AssertionError) as caught:
        assert_tool_contract(picky, tool, check_invalid=False, settings=CI)
    message = str(caught.value)
    assert all(c.isprintable() or c == "\n" for c in message), repr(message)
    assert "\\u" in message  # the character is shown by its code, not as nothing
