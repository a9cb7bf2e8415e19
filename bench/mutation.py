"""Mutation benchmark of `assert_tool_contract`: the share of planted bugs it catches.

    python bench/mutation.py [--only NAME]

Three realistic tools: the seed's `display_quiz` (Assistants shape), a
`create_ticket` tool (Responses' flat shape, strict) and a nested `place_order`
tool (Assistants shape) with arrays of line items. Every handler validates its
arguments the way a careful app does (the schema, formats asserted) and answers
`"error: ..."` to bad ones, except for ONE planted bug each: the check for one
keyword is weakened as apps get it wrong (a pattern tested with `startswith` or
without `$`, `"@" in email`, a bound off by one, `isinstance(x, int)` letting
`True` through, `uniqueItems` forgotten, ...), so the handler accepts one class of
invalid input. Each bug is run against `assert_tool_contract` with default
settings; a bug is caught when the contract fails. The correct handlers run too
and must pass. Prints the share caught and the seconds per tool.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.fuzz import assert_tool_contract  # noqa: E402
from harness.fuzz._schema import tool_parameters, validator_for  # noqa: E402

QUIZ: dict[str, Any] = {
    "type": "function",
    "function": json.loads((ROOT / "scenarios" / "tools" / "display_quiz.json").read_text()),
}

TICKET: dict[str, Any] = {
    "type": "function",
    "name": "create_ticket",
    "strict": False,
    "parameters": {
        "type": "object",
        "properties": {
            "customer_id": {"type": "string", "pattern": "^C[0-9]{6}$"},
            "title": {"type": "string", "minLength": 1, "maxLength": 80},
            "priority": {"type": "string", "enum": ["low", "normal", "high", "urgent"]},
            "email": {"type": "string", "format": "email"},
            "due_date": {"type": "string", "format": "date"},
            "tags": {
                "type": "array",
                "items": {"type": "string", "minLength": 1, "maxLength": 20},
                "uniqueItems": True,
                "maxItems": 5,
            },
            "estimate_hours": {"type": "integer", "minimum": 0, "maximum": 1000},
            "assignee": {"type": "string"},
            "escalate_to": {"type": "string"},
            "escalation_reason": {"type": "string"},
            "tracking_url": {"type": "string", "format": "uri"},
        },
        "required": ["customer_id", "title", "priority", "email"],
        "additionalProperties": False,
        "dependentRequired": {"escalate_to": ["escalation_reason"]},
        "if": {"properties": {"priority": {"const": "urgent"}}},
        "then": {"required": ["due_date"]},
    },
}

ORDER: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "place_order",
        "parameters": {
            "type": "object",
            "properties": {
                "order_id": {"type": "string", "format": "uuid"},
                "placed_at": {"type": "string", "format": "date-time"},
                "contact": {
                    "type": "object",
                    "properties": {
                        "email": {"type": "string", "format": "email"},
                        "phone": {"type": "string", "pattern": "^\\+[0-9]{8,15}$"},
                    },
                    "additionalProperties": False,
                    "oneOf": [{"required": ["email"]}, {"required": ["phone"]}],
                },
                "line_items": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 10,
                    "items": {
                        "type": "object",
                        "properties": {
                            "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
                            "quantity": {"type": "integer", "minimum": 1, "maximum": 100},
                            "case_size": {"type": "integer", "multipleOf": 6, "minimum": 6},
                            "unit_price": {
                                "type": "number",
                                "exclusiveMinimum": 0,
                                "maximum": 10000,
                            },
                            "discount": {"type": "number", "minimum": 0, "maximum": 0.5},
                        },
                        "required": ["sku", "quantity", "unit_price"],
                        "additionalProperties": False,
                    },
                },
            },
            "required": ["order_id", "contact", "line_items"],
            "additionalProperties": False,
        },
    },
}

TOOLS = {"display_quiz": QUIZ, "create_ticket": TICKET, "place_order": ORDER}


def _at(schema: dict[str, Any], pointer: str) -> dict[str, Any]:
    node: Any = schema
    for token in pointer.strip("/").split("/") if pointer.strip("/") else []:
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node  # type: ignore[no-any-return]


@dataclass(frozen=True)
class PlantedBug:
    """One handler hole: the handler checks `pointer` of the schema as `weaken` leaves it."""

    name: str
    tool: str
    keyword: str
    pointer: str
    weaken: Callable[[dict[str, Any]], None]

    def handler(self) -> Callable[[Any], str]:
        params = copy.deepcopy(tool_parameters(TOOLS[self.tool]))
        self.weaken(_at(params, self.pointer))
        return _validating(params)


def _validating(params: dict[str, Any]) -> Callable[[Any], str]:
    check = validator_for(params, formats=True)

    def handler(arguments: Any) -> str:
        if not check.is_valid(arguments):
            return "error: invalid arguments"
        return "ok"

    return handler


def _set(**changes: Any) -> Callable[[dict[str, Any]], None]:
    def apply(node: dict[str, Any]) -> None:
        for key, value in changes.items():
            if value is None:
                node.pop(key, None)
            else:
                node[key] = value

    return apply


def _drop_required(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda node: node.__setitem__("required", [k for k in node["required"] if k != name])


T, ORD, Q = "create_ticket", "place_order", "display_quiz"
ITEM = "/properties/line_items/items"
BUGS = [
    # pattern
    PlantedBug(
        "customer_id startswith('C')", T, "pattern", "/properties/customer_id", _set(pattern="^C")
    ),
    PlantedBug(
        "customer_id re.match without $",
        T,
        "pattern",
        "/properties/customer_id",
        _set(pattern="^C[0-9]{6}"),
    ),
    PlantedBug(
        "customer_id re.search without ^",
        T,
        "pattern",
        "/properties/customer_id",
        _set(pattern="C[0-9]{6}$"),
    ),
    PlantedBug(
        "customer_id IGNORECASE",
        T,
        "pattern",
        "/properties/customer_id",
        _set(pattern="^[Cc][0-9]{6}$"),
    ),
    PlantedBug(
        "customer_id digits as \\w",
        T,
        "pattern",
        "/properties/customer_id",
        _set(pattern="^C\\w{6}$"),
    ),
    PlantedBug(
        "customer_id {5,7} digits",
        T,
        "pattern",
        "/properties/customer_id",
        _set(pattern="^C[0-9]{5,7}$"),
    ),
    PlantedBug(
        "sku letters any case",
        ORD,
        "pattern",
        f"{ITEM}/properties/sku",
        _set(pattern="^[A-Za-z]{3}-[0-9]{4}$"),
    ),
    PlantedBug(
        "phone without the +",
        ORD,
        "pattern",
        "/properties/contact/properties/phone",
        _set(pattern="^\\+?[0-9]{8,15}$"),
    ),
    # format
    PlantedBug(
        "email: '@' in text", T, "format", "/properties/email", _set(format=None, pattern="@")
    ),
    PlantedBug(
        "due_date: shape only",
        T,
        "format",
        "/properties/due_date",
        _set(format=None, pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
    ),
    PlantedBug(
        "placed_at: no timezone needed",
        ORD,
        "format",
        "/properties/placed_at",
        _set(format=None, pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"),
    ),
    PlantedBug(
        "order_id: hex and dashes",
        ORD,
        "format",
        "/properties/order_id",
        _set(format=None, pattern="^[0-9a-f-]{32,36}$"),
    ),
    PlantedBug(
        "tracking_url: any text", T, "format", "/properties/tracking_url", _set(format=None)
    ),
    # numbers
    PlantedBug(
        "quantity < 0 rejected (not < 1)",
        ORD,
        "minimum",
        f"{ITEM}/properties/quantity",
        _set(minimum=0),
    ),
    PlantedBug(
        "quantity > 101 rejected", ORD, "maximum", f"{ITEM}/properties/quantity", _set(maximum=101)
    ),
    PlantedBug(
        "case_size % 6 forgotten",
        ORD,
        "multipleOf",
        f"{ITEM}/properties/case_size",
        _set(multipleOf=None),
    ),
    PlantedBug(
        "unit_price 0 allowed",
        ORD,
        "exclusiveMinimum",
        f"{ITEM}/properties/unit_price",
        _set(exclusiveMinimum=None, minimum=0),
    ),
    PlantedBug(
        "discount rounding slack",
        ORD,
        "maximum",
        f"{ITEM}/properties/discount",
        _set(maximum=0.5 + 1e-9),
    ),
    PlantedBug(
        "estimate_hours >= 0 forgotten",
        T,
        "minimum",
        "/properties/estimate_hours",
        _set(minimum=None),
    ),
    # strings and arrays
    PlantedBug("title len > 81 rejected", T, "maxLength", "/properties/title", _set(maxLength=81)),
    PlantedBug("empty title allowed", T, "minLength", "/properties/title", _set(minLength=None)),
    PlantedBug(
        "tags duplicates allowed", T, "uniqueItems", "/properties/tags", _set(uniqueItems=None)
    ),
    PlantedBug("tags len > 6 rejected", T, "maxItems", "/properties/tags", _set(maxItems=6)),
    PlantedBug(
        "empty order allowed", ORD, "minItems", "/properties/line_items", _set(minItems=None)
    ),
    # objects
    PlantedBug("title read with .get()", T, "required", "", _drop_required("title")),
    PlantedBug("line item sku optional", ORD, "required", ITEM, _drop_required("sku")),
    PlantedBug(
        "question_text optional",
        Q,
        "required",
        "/properties/questions/items",
        _drop_required("question_text"),
    ),
    PlantedBug(
        "unknown keys ignored", T, "additionalProperties", "", _set(additionalProperties=None)
    ),
    PlantedBug(
        "line item keys ignored", ORD, "additionalProperties", ITEM, _set(additionalProperties=None)
    ),
    PlantedBug(
        "escalation without a reason", T, "dependentRequired", "", _set(dependentRequired=None)
    ),
    PlantedBug("urgent without a due date", T, "if-then", "", _set(then=None)),
    PlantedBug(
        "contact with both",
        ORD,
        "oneOf",
        "/properties/contact",
        lambda n: n.__setitem__("anyOf", n.pop("oneOf")),
    ),
    # type confusions
    PlantedBug(
        "estimate_hours int('5')",
        T,
        "type",
        "/properties/estimate_hours",
        _set(type=["integer", "string"]),
    ),
    PlantedBug(
        "estimate_hours isinstance(x, int) lets True in",
        T,
        "type",
        "/properties/estimate_hours",
        _set(type=["integer", "boolean"]),
    ),
    PlantedBug(
        "estimate_hours as a float", T, "type", "/properties/estimate_hours", _set(type="number")
    ),
    PlantedBug(
        "assignee may be None", T, "type", "/properties/assignee", _set(type=["string", "null"])
    ),
    PlantedBug(
        "quantity as float", ORD, "type", f"{ITEM}/properties/quantity", _set(type="number")
    ),
    PlantedBug(
        "choices may be numbers",
        Q,
        "type",
        "/properties/questions/items/properties/choices/items",
        _set(type=["string", "number"]),
    ),
    # enums
    PlantedBug(
        "priority.lower() in PRIORITIES",
        T,
        "enum",
        "/properties/priority",
        _set(enum=None, pattern="(?i)^(low|normal|high|urgent)$"),
    ),
    PlantedBug(
        "priority.strip() in PRIORITIES",
        T,
        "enum",
        "/properties/priority",
        _set(enum=None, pattern="^\\s*(low|normal|high|urgent)\\s*$"),
    ),
    PlantedBug(
        "question_type any case",
        Q,
        "enum",
        "/properties/questions/items/properties/question_type",
        _set(enum=None, pattern="(?i)^(multiple_choice|free_response)$"),
    ),
]
"""One bug per handler; together they cover every near-miss class of the contract."""


@dataclass(frozen=True)
class Result:
    bug: PlantedBug
    caught: bool
    seconds: float
    message: str


def run_bug(bug: PlantedBug) -> Result:
    started = time.perf_counter()
    try:
        assert_tool_contract(bug.handler(), TOOLS[bug.tool])
    except AssertionError as failure:
        return Result(bug, True, time.perf_counter() - started, str(failure))
    return Result(bug, False, time.perf_counter() - started, "")


def run_control(tool: str) -> float:
    """The correct handler passes (else the benchmark measures nothing)."""
    started = time.perf_counter()
    assert_tool_contract(_validating(tool_parameters(TOOLS[tool])), TOOLS[tool])
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run the bugs whose name contains this text")
    args = parser.parse_args(argv)
    bugs = [b for b in BUGS if not args.only or args.only in b.name]
    for tool in TOOLS:
        print(f"control {tool}: correct handler passes in {run_control(tool):.2f}s")
    results = [run_bug(bug) for bug in bugs]
    for r in results:
        mark = "caught" if r.caught else "MISSED"
        print(f"{mark:7} {r.seconds:6.2f}s  {r.bug.tool:13} {r.bug.keyword:21} {r.bug.name}")
    caught = sum(r.caught for r in results)
    print(f"\ncaught {caught}/{len(results)} planted bugs ({caught / max(1, len(results)):.0%})")
    for tool in TOOLS:
        times = [r.seconds for r in results if r.bug.tool == tool]
        if times:
            print(
                f"{tool}: {sum(times) / len(times):.2f}s per bug on average, {max(times):.2f}s at most"
            )
    return 0 if caught == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
