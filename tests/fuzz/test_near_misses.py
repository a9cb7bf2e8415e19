"""Contracts that reach the edges of a schema: near-misses per keyword, each really invalid,
the issue's `create_ticket` pattern bug caught, and every planted bug of the mutation
benchmark caught with default settings."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from bench.mutation import BUGS, ORDER, TICKET, TOOLS, run_bug, run_control
from harness.formats import NEAR_MISSES
from harness.fuzz import assert_tool_contract
from harness.fuzz._schema import tool_parameters
from harness.fuzz.invalid import _near_misses, near_misses
from tests.fuzz._fuzz_data import ALL_TOOLS, validator

TICKET_TOOL: dict[str, Any] = {
    "type": "function",
    "name": "create_ticket",
    "strict": True,
    "parameters": {
        "type": "object",
        "properties": {
            "customer_id": {"type": "string", "pattern": "^C[0-9]{6}$"},
            "priority": {"type": "string", "enum": ["low", "high"]},
        },
        "required": ["customer_id", "priority"],
        "additionalProperties": False,
    },
}


def create_ticket_prefix_only(customer_id: str, priority: str) -> str:
    """The issue's handler: any customer id starting with "C" passes."""
    if not customer_id.startswith("C") or priority not in ("low", "high"):
        return "error: bad ticket"
    return f"ticket for {customer_id}"


def create_ticket_checked(customer_id: str, priority: str) -> str:
    if not re.fullmatch(r"C[0-9]{6}", customer_id) or priority not in ("low", "high"):
        return "error: bad ticket"
    return f"ticket for {customer_id}"


def test_the_issues_pattern_bug_is_caught_with_the_keyword_and_path_named() -> None:
    with pytest.raises(AssertionError) as caught:
        assert_tool_contract(create_ticket_prefix_only, TICKET_TOOL)
    message = str(caught.value)
    assert "create_ticket: tool contract broken on invalid arguments" in message
    assert "rejected by: 'pattern' at $.customer_id" in message
    line = next(x for x in message.splitlines() if x.strip().startswith("arguments:"))
    arguments = __import__("json").loads(line.split("arguments:", 1)[1])
    assert arguments["customer_id"].startswith("C")
    assert not re.fullmatch(r"C[0-9]{6}", arguments["customer_id"])
    assert_tool_contract(create_ticket_checked, TICKET_TOOL)


def test_pattern_near_misses_are_one_edit_from_a_valid_id() -> None:
    texts = {
        e.parsed["customer_id"]
        for e in near_misses(TICKET_TOOL)
        if isinstance(e.parsed, dict) and e.kind == "pattern"
    }
    # dropped, added, swapped out of its class, case, text before and after the anchors
    for expected in ("C00000", "C0000000", "C00000a", "c000000", "XC000000", "C000000X"):
        assert expected in texts, (expected, sorted(texts))


@pytest.mark.parametrize("name", sorted({**ALL_TOOLS, **TOOLS}))
def test_every_near_miss_is_invalid_and_says_where(name: str) -> None:
    tool = {**ALL_TOOLS, **TOOLS}[name]
    check = validator(tool)
    examples = near_misses(tool)
    assert examples
    for example in examples:
        assert not check.is_valid(example.parsed), example
        assert example.kind and example.shape.startswith("/")
        assert " at /" in example.reason


def test_both_tool_shapes_give_the_same_near_misses() -> None:
    wrapped = {"type": "function", "function": {k: v for k, v in TICKET.items() if k != "type"}}
    assert [e.text for e in near_misses(wrapped)] == [e.text for e in near_misses(TICKET)]


def test_near_misses_found_once_per_schema_are_the_same_and_handed_out_as_copies() -> None:
    handed = near_misses(TICKET)
    assert handed == _near_misses(tool_parameters(TICKET))  # what a fresh search finds
    for example in handed:
        if isinstance(example.parsed, dict):
            example.parsed.clear()
    again = near_misses(copy.deepcopy(TICKET))
    assert again == _near_misses(tool_parameters(TICKET))
    other = copy.deepcopy(TICKET)
    other["parameters"]["properties"]["customer_id"]["pattern"] = "^D[0-9]{6}$"
    assert near_misses(other) == _near_misses(tool_parameters(other)) != again


def test_every_keyword_class_has_near_misses() -> None:
    kinds = {e.kind for tool in (TICKET, ORDER) for e in near_misses(tool)}
    assert kinds >= {
        "pattern",
        "format",
        "bound",
        "multiple",
        "length",
        "count",
        "unique",
        "missing",
        "extra",
        "wrong_type",
        "null",
        "enum",
        "dependent",
        "conditional",
        "one_of",
    }


def test_bounds_miss_by_one_and_by_the_smallest_step() -> None:
    items = [
        e.parsed["line_items"][0]
        for e in near_misses(ORDER)
        if e.kind == "bound" and isinstance(e.parsed, dict) and e.parsed.get("line_items")
    ]
    assert {"quantity": 0} in [{"quantity": i["quantity"]} for i in items]
    assert 101 in [i["quantity"] for i in items]
    assert 0 in [i["unit_price"] for i in items]  # exclusiveMinimum reached
    assert 0.5000000000000001 in [i.get("discount") for i in items]


def test_an_integral_float_is_no_near_miss_of_an_integer() -> None:
    """JSON Schema calls 5.0 an integer: it is never offered as invalid (5.5 is)."""
    hours = [
        e.parsed.get("estimate_hours")
        for e in near_misses(TICKET)
        if isinstance(e.parsed, dict) and e.shape == "/estimate_hours"
    ]
    assert 0.5 in hours and "0" in hours and True in hours and None in hours
    assert not [h for h in hours if isinstance(h, float) and h.is_integer()]


@pytest.mark.parametrize("fmt", ["date", "date-time", "email", "uri", "uuid"])
def test_format_near_misses_are_almost_valid(fmt: str) -> None:
    tool = {
        "name": "f",
        "parameters": {
            "type": "object",
            "properties": {"x": {"type": "string", "format": fmt}},
            "required": ["x"],
        },
    }
    offered = {e.parsed["x"] for e in near_misses(tool) if e.kind == "format"}
    assert offered == set(NEAR_MISSES[fmt])


def test_a_near_miss_deep_in_arrays_is_shrunk_to_what_matters() -> None:
    tool = copy.deepcopy(ORDER)

    def sku_unchecked(arguments: dict[str, Any]) -> str:
        lenient = copy.deepcopy(tool["function"]["parameters"])
        del lenient["properties"]["line_items"]["items"]["properties"]["sku"]["pattern"]
        return "ok" if validator({"parameters": lenient}).is_valid(arguments) else "error: bad"

    with pytest.raises(AssertionError) as caught:
        assert_tool_contract(sku_unchecked, tool)
    message = str(caught.value)
    assert "rejected by: 'pattern' at $.line_items[0].sku" in message
    assert "placed_at" not in message and "discount" not in message  # optional keys dropped


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_the_correct_handlers_of_the_benchmark_pass(tool: str) -> None:
    run_control(tool)


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_every_planted_bug_of_the_benchmark_is_caught(bug: Any) -> None:
    result = run_bug(bug)
    assert result.caught, f"{bug.tool}: planted bug not caught: {bug.name}"
    assert "tool contract broken on invalid arguments" in result.message
