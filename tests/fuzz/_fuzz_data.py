"""Tool definitions and handlers shared by the fuzz tests."""

from __future__ import annotations

from typing import Any

import jsonschema

from harness.fuzz._schema import validator_for
from tests.support.seed import display_quiz_tool

DISPLAY_QUIZ: dict[str, Any] = display_quiz_tool()

# a search filter: recursive expressions through $defs, nullable via type lists
NESTED: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "search",
        "strict": True,
        "parameters": {
            "type": "object",
            "properties": {
                "filter": {"$ref": "#/$defs/expr"},
                "limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 100},
                "sort": {"type": "array", "items": {"$ref": "#/$defs/sort_key"}, "maxItems": 3},
            },
            "required": ["filter", "limit", "sort"],
            "additionalProperties": False,
            "$defs": {
                "expr": {"anyOf": [{"$ref": "#/$defs/cmp"}, {"$ref": "#/$defs/group"}]},
                "cmp": {
                    "type": "object",
                    "properties": {
                        "field": {"type": "string", "pattern": "^[a-z_]{1,20}$"},
                        "op": {"type": "string", "enum": ["eq", "lt", "gt"]},
                        "value": {"type": ["string", "number", "boolean", "null"]},
                    },
                    "required": ["field", "op", "value"],
                    "additionalProperties": False,
                },
                "group": {
                    "type": "object",
                    "properties": {
                        "all": {
                            "type": "array",
                            "items": {"$ref": "#/$defs/expr"},
                            "minItems": 1,
                            "maxItems": 3,
                        }
                    },
                    "required": ["all"],
                    "additionalProperties": False,
                },
                "sort_key": {
                    "type": "object",
                    "properties": {"field": {"type": "string"}, "desc": {"type": "boolean"}},
                    "required": ["field", "desc"],
                    "additionalProperties": False,
                },
            },
        },
    },
}

# the rest of the supported keywords, draft-7 `definitions` spelling
KITCHEN: dict[str, Any] = {
    "name": "book",
    "parameters": {
        "type": "object",
        "definitions": {
            "code": {"type": "string", "pattern": "[A-Z]{2}[0-9]+", "minLength": 3, "maxLength": 6}
        },
        "properties": {
            "code": {"$ref": "#/definitions/code"},
            "kind": {"const": "booking"},
            "seats": {"type": "integer", "minimum": 1, "exclusiveMaximum": 10, "multipleOf": 2},
            "price": {"type": "number", "exclusiveMinimum": 0, "maximum": 500.5},
            "step": {"type": "number", "multipleOf": 0.25, "minimum": -3, "maximum": 3},
            "tags": {
                "type": "array",
                "items": {"type": "string", "maxLength": 5},
                "uniqueItems": True,
                "minItems": 1,
            },
            "when": {"type": "string", "format": "date-time"},
            "email": {"type": "string", "format": "email"},
            "name": {"type": "string", "minLength": 2, "maxLength": 8},
            "contact": {
                "oneOf": [
                    {
                        "type": "object",
                        "properties": {"phone": {"type": "string"}},
                        "required": ["phone"],
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "properties": {"mail": {"type": "string"}},
                        "required": ["mail"],
                        "additionalProperties": False,
                    },
                ]
            },
            "audit": {
                "allOf": [
                    {
                        "type": "object",
                        "properties": {"by": {"type": "string"}},
                        "required": ["by"],
                    },
                    {"properties": {"at": {"type": "integer", "minimum": 0}}, "required": ["at"]},
                ]
            },
            "meta": {
                "type": "object",
                "additionalProperties": {"type": "integer"},
                "maxProperties": 3,
            },
            "anything": {},
        },
        "required": ["code", "kind", "seats", "tags"],
        "additionalProperties": False,
    },
}

STRICT_WEATHER: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "strict": True,
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": ["string", "null"], "enum": ["c", "f", None]},
            },
            "required": ["location", "unit"],
            "additionalProperties": False,
        },
    },
}

ALL_TOOLS = {
    "display_quiz": DISPLAY_QUIZ,
    "nested": NESTED,
    "kitchen": KITCHEN,
    "strict_weather": STRICT_WEATHER,
}


def validator(tool: dict[str, Any]) -> jsonschema.protocols.Validator:
    """A validator of the tool's parameters that asserts `format` (as strict mode does)."""
    function = tool.get("function", tool)
    return validator_for(function["parameters"], formats=True)


# ---- display_quiz handlers --------------------------------------------------------


def mock_multiple_choice() -> str:
    return "a"


def mock_free_response() -> str:
    return "I don't know."


def display_quiz_seed(title, questions):  # type: ignore[no-untyped-def]
    """The seed's handler, verbatim but for print()."""
    responses = []
    for q in questions:
        response = ""
        if q["question_type"] == "MULTIPLE_CHOICE":
            for _i, _choice in enumerate(q["choices"]):
                pass
            response = mock_multiple_choice()
        elif q["question_type"] == "FREE_RESPONSE":
            response = mock_free_response()
        responses.append(response)
    return responses


def display_quiz(title: str, questions: list[dict[str, Any]]) -> list[str]:
    """The seed's handler reading the optional keys as optional."""
    responses = []
    for q in questions:
        response = ""
        if q.get("question_type") == "MULTIPLE_CHOICE":
            for _i, _choice in enumerate(q.get("choices", [])):
                pass
            response = mock_multiple_choice()
        elif q.get("question_type") == "FREE_RESPONSE":
            response = mock_free_response()
        responses.append(response)
    return responses


def display_quiz_planted_bug(title: str, questions: list[dict[str, Any]]) -> list[str]:
    """Like `display_quiz`, but crashes when a MULTIPLE_CHOICE question has no choices."""
    responses = []
    for q in questions:
        if q.get("question_type") == "MULTIPLE_CHOICE":
            responses.append(q["choices"][0] if q["choices"] else mock_multiple_choice())
        else:
            responses.append(mock_free_response())
    return responses


class QuizError(ValueError):
    pass


def display_quiz_validating(arguments: dict[str, Any]) -> list[str]:
    """A dispatch-style handler that validates before it works."""
    errors = sorted(validator(DISPLAY_QUIZ).iter_errors(arguments), key=str)
    if errors:
        raise QuizError(errors[0].message)
    return display_quiz(**{k: arguments[k] for k in ("title", "questions")})
