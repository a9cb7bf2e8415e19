"""Strict-mode lint of tool schemas."""

from __future__ import annotations

import copy

from harness.fuzz import lint_tool
from tests.fuzz._fuzz_data import DISPLAY_QUIZ, KITCHEN, NESTED, STRICT_WEATHER


def test_a_strict_ready_schema_has_no_findings() -> None:
    assert lint_tool(STRICT_WEATHER) == []
    assert lint_tool(NESTED) == []


def test_display_quiz_gets_advice_because_it_is_not_strict() -> None:
    findings = lint_tool(DISPLAY_QUIZ)
    assert {f.severity for f in findings} == {"advice"}
    assert {(f.pointer, f.code) for f in findings} == {
        ("/", "additional-properties"),
        ("/properties/questions/items", "additional-properties"),
        ("/properties/questions/items/properties/question_type", "not-required"),
        ("/properties/questions/items/properties/choices", "not-required"),
    }
    assert str(findings[0]).startswith("display_quiz: /: advice [additional-properties]")


def test_the_same_schema_with_strict_true_gets_errors() -> None:
    tool = {"type": "function", "function": {**copy.deepcopy(DISPLAY_QUIZ), "strict": True}}
    findings = lint_tool(tool)
    assert findings and {f.severity for f in findings} == {"error"}


def test_unsupported_keywords_formats_and_root() -> None:
    findings = {(f.pointer, f.code) for f in lint_tool(KITCHEN)}
    assert ("/properties/tags/uniqueItems", "keyword") in findings
    assert ("/properties/contact/oneOf", "keyword") in findings
    assert ("/properties/audit/allOf", "keyword") in findings
    assert ("/properties/name/minLength", "keyword") in findings
    assert ("/properties/meta/maxProperties", "keyword") in findings
    root = lint_tool({"name": "r", "strict": True, "parameters": {"anyOf": [{"type": "object"}]}})
    assert ("/", "root") in {(f.pointer, f.code) for f in root}


def test_what_the_fuzzer_cannot_use_is_an_error_even_when_not_strict() -> None:
    tool = {"name": "t", "parameters": {"type": "object", "properties": {"x": {"not": {}}}}}
    [fuzz] = [f for f in lint_tool(tool) if f.code == "fuzz"]
    assert (fuzz.pointer, fuzz.severity) == ("/properties/x", "error")
    assert "keyword 'not' is not supported" in fuzz.message


def test_nesting_deeper_than_strict_mode_allows() -> None:
    schema: dict = {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }
    node = schema
    for level in range(11):
        inner = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}
        node["properties"][f"l{level}"] = inner
        node["required"].append(f"l{level}")
        node = inner
    findings = lint_tool({"name": "deep", "strict": True, "parameters": schema})
    assert [f.code for f in findings] == ["depth"]
