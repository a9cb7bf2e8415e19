"""The seed's function-tool handlers, as an app would write them."""

from __future__ import annotations

from typing import Any


def get_mock_response_from_user_multiple_choice() -> str:
    return "a"


def get_mock_response_from_user_free_response() -> str:
    return "I don't know."


def display_quiz(title: str, questions: list[dict[str, Any]]) -> list[str]:
    """Show a quiz and collect the student's answers (mocked, as in the seed)."""
    responses = []
    for question in questions:
        response = ""
        if question.get("question_type") == "MULTIPLE_CHOICE":
            response = get_mock_response_from_user_multiple_choice()
        elif question.get("question_type") == "FREE_RESPONSE":
            response = get_mock_response_from_user_free_response()
        responses.append(response)
    return responses
