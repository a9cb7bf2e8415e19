"""Example strings for a schema's pattern, format and lengths (suggested rules, forced calls)."""

from __future__ import annotations

import re

import pytest

from harness.emulator.engine.string_examples import pattern_example, string_example


@pytest.mark.parametrize(
    "pattern",
    [
        r"^C[0-9]{6}$",
        r"^[A-Z]{2}-\d{4}$",
        r"^(?:red|green|blue)$",
        r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$",
        r"^\+?[1-9]\d{1,14}$",
        r"^[^@\s]+@[^@\s]+$",
        r"^ORD_[A-F0-9]{8}(_v\d+)?$",
        r"^\w+\s\w+$",
        r"x{3,}y*z+",
    ],
)
def test_a_pattern_gives_a_string_it_accepts(pattern: str) -> None:
    found = pattern_example(pattern)
    assert found is not None and re.search(pattern, found), (pattern, found)


def test_the_ticket_pattern_gives_a_ticket_id() -> None:
    assert string_example({"type": "string", "pattern": "^C[0-9]{6}$"}) == "C000000"


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string", "format": "email"}, "user@example.com"),
        ({"type": "string", "format": "date"}, "2024-01-01"),
        ({"type": "string", "minLength": 10}, "exampleeee"),
        ({"type": "string", "maxLength": 3}, "exa"),
        ({"type": "string"}, "example"),
    ],
)
def test_formats_and_lengths(schema: dict[str, object], expected: str) -> None:
    assert string_example(schema) == expected


def test_a_pattern_the_walk_cannot_satisfy_gives_none() -> None:
    assert pattern_example(r"^(?=.*\d)(?!.*x)\w+$") is None
    assert pattern_example(r"(a)\1") is None
