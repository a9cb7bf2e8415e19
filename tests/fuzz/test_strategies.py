"""valid_arguments / invalid_arguments against jsonschema, schema by schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from harness.errors import HarnessError
from harness.fuzz import (
    UNPARSEABLE,
    SchemaNotSupported,
    compile_schema,
    invalid_arguments,
    valid_arguments,
)
from harness.fuzz.profiles import register_profiles
from tests.fuzz._fuzz_data import ALL_TOOLS, DISPLAY_QUIZ, NESTED, validator
from tests.support.budget import examples

register_profiles()
CI = settings(settings.get_profile("ci"), max_examples=examples(100))
FEW = settings(CI, max_examples=30)
SEARCH = settings(CI, max_examples=2000, phases=[Phase.generate])


@pytest.mark.parametrize("name", sorted(ALL_TOOLS))
def test_every_valid_example_validates(name: str) -> None:
    tool = ALL_TOOLS[name]
    check = validator(tool)

    @CI
    @given(valid_arguments(tool))
    def valid(arguments: Any) -> None:
        # what the handler gets is json.loads of the text: the example must survive it
        assert json.loads(json.dumps(arguments, allow_nan=False)) == arguments
        errors = [e.message for e in check.iter_errors(arguments)]
        assert not errors, (arguments, errors)

    valid()


@pytest.mark.parametrize("name", sorted(ALL_TOOLS))
def test_every_invalid_example_fails_validation(name: str) -> None:
    tool = ALL_TOOLS[name]
    check = validator(tool)

    @CI
    @given(invalid_arguments(tool))
    def invalid(example: Any) -> None:
        if example.malformed:
            assert example.parsed is UNPARSEABLE
            with pytest.raises(ValueError):
                json.loads(example.text)
        else:
            assert json.loads(example.text) == example.parsed
            assert not check.is_valid(example.parsed), example

    invalid()
    # The kinds of mistake are searched for, not hoped for among 100 examples:
    # which kinds a fixed sample holds depended on test order under xdist.
    for kind in ("malformed JSON", "missing required key"):
        found = find(
            invalid_arguments(tool), lambda e, kind=kind: e.reason.startswith(kind), settings=SEARCH
        )
        assert found.reason.startswith(kind)


def test_extra_keys_only_where_the_schema_forbids_them() -> None:
    # Searched for (each search stops at the first find), not hoped for among 60 examples.
    for kind in ("undeclared key", "value not in enum"):
        found = find(
            invalid_arguments(NESTED, malformed=False),
            lambda e, kind=kind: e.reason.startswith(kind),
            settings=SEARCH,
        )
        assert found.reason.startswith(kind)


def test_recursive_ref_reaches_depth() -> None:
    def depth(expr: Any) -> int:
        return 1 + max((depth(e) for e in expr["all"]), default=0) if "all" in expr else 1

    deepest = []

    @CI
    @given(valid_arguments(NESTED))
    def valid(arguments: Any) -> None:
        deepest.append(depth(arguments["filter"]))

    valid()
    assert max(deepest) >= 3


def test_wrapped_and_plain_tools_are_the_same() -> None:
    plain = NESTED["function"]
    assert repr(valid_arguments(plain)) and repr(valid_arguments(NESTED))

    @FEW
    @given(st.data())
    def both(data: st.DataObject) -> None:
        assert validator(NESTED).is_valid(data.draw(valid_arguments(plain)))

    both()


def test_tool_without_parameters_takes_an_empty_object() -> None:
    @CI
    @given(valid_arguments({"name": "ping"}))
    def valid(arguments: Any) -> None:
        assert isinstance(arguments, dict)

    valid()


def test_extra_properties_option_adds_undeclared_keys() -> None:
    found = []

    @FEW
    @given(valid_arguments(DISPLAY_QUIZ, extra_properties=True))
    def valid(arguments: Any) -> None:
        found.append(set(arguments) - {"title", "questions"})
        assert validator(DISPLAY_QUIZ).is_valid(arguments)

    valid()
    assert any(found)


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            {"type": "object", "properties": {"x": {"contains": {"type": "string"}}}},
            "/properties/x: keyword 'contains' is not supported",
        ),
        (
            {"type": "object", "properties": {"x": {"$ref": "other.json#/a"}}},
            "/properties/x/$ref: $ref 'other.json#/a': only local",
        ),
        (
            {"type": "object", "properties": {"x": {"$ref": "#/$defs/nope"}}},
            "/properties/x/$ref: $ref '#/$defs/nope' points at nothing",
        ),
        (
            {"type": "object", "properties": {"x": {"type": "string", "pattern": "("}}},
            "/properties/x/pattern: pattern not usable",
        ),
        (
            {"type": "object", "patternProperties": {"^a": {}}},
            "/: keyword 'patternProperties' is not supported",
        ),
        ({"type": "array", "items": [{"type": "string"}]}, "/items: a list of items"),
    ],
)
def test_unsupported_schemas_name_the_pointer(schema: Any, message: str) -> None:
    with pytest.raises(SchemaNotSupported) as caught:
        compile_schema(schema)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, HarnessError) and isinstance(caught.value, ValueError)


def test_errors_surface_when_the_strategy_is_built_not_drawn() -> None:
    tool = {"name": "t", "parameters": {"type": "object", "properties": {"x": {"not": {}}}}}
    with pytest.raises(SchemaNotSupported, match="keyword 'not'"):
        valid_arguments(tool)
