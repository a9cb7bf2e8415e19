"""Request bodies are checked once per shape (free text aside): a body that differs from a
valid one only where the schema constrains it is still refused, each time."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from harness.emulator.http.body_shapes import shapes_for
from harness.emulator.http.validation import check_body
from harness.errors import HarnessError


def _item(role: str = "user", text: str = "hi") -> dict[str, Any]:
    return {"type": "message", "role": role, "content": [{"type": "input_text", "text": text}]}


def test_a_constrained_string_is_checked_after_a_valid_body_of_its_shape(client: Any) -> None:
    for text in ("hello", "another text altogether"):
        client.responses.create(model="gpt-4o", input=[_item(text=text)])
    with pytest.raises(openai.BadRequestError, match="'usr'"):
        client.responses.create(model="gpt-4o", input=[_item(role="usr")])
    client.conversations.create(metadata={"k": "short"})
    with pytest.raises(openai.BadRequestError, match="metadata"):
        client.conversations.create(metadata={"k": "x" * 513})


@pytest.mark.parametrize("length, valid", [(64, True), (65, False), (0, False)])
def test_a_length_bound_splits_shapes(length: int, valid: bool) -> None:
    def body(call_id: str) -> dict[str, Any]:
        output = {"type": "function_call_output", "call_id": call_id, "output": "ok"}
        return {"model": "gpt-4o", "input": [output]}

    check_body("create_response", body("c" * 10))  # this shape is now known valid
    if valid:
        check_body("create_response", body("c" * length))
    else:
        with pytest.raises(HarnessError):
            check_body("create_response", body("c" * length))


def test_free_text_stands_as_its_length_class_and_maps_stay_whole() -> None:
    schema = {
        "type": "object",
        "properties": {
            "note": {"type": "string"},
            "code": {"type": "string", "maxLength": 3},
            "kind": {"enum": ["a", "b"]},
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    shapes = shapes_for(schema, {})
    one = {"note": "x", "code": "ab", "kind": "a", "tags": {"note": "y"}}
    two = {"note": "longer", "code": "c", "kind": "a", "tags": {"note": "y"}}
    assert shapes.of(one) == shapes.of(two)
    assert shapes.of(one) != shapes.of({**one, "code": "abcd"})
    assert shapes.of(one) != shapes.of({**one, "kind": "b"})
    assert shapes.of(one) != shapes.of({**one, "tags": {"note": "z"}})
    unnamed_map = {"type": "array", "items": {"additionalProperties": {"maxLength": 2}}}
    assert shapes_for(unnamed_map, {}).of([{"note": "x"}]) == [{"note": "x"}]
