"""Arguments a model really emits that the tool's schema rejects.

Each example starts from a valid argument object and breaks it in one place
the schema constrains (a required key dropped, a wrong type, a null, an
undeclared key where `additionalProperties` is false, an enum miss, a string
that is empty, huge or foreign where the schema bounds it, a number out of
range), or turns its JSON text into text `json.loads` refuses (truncated,
trailing comma, single quotes, Python literals, code fences, two objects
glued together). Every parseable example is checked to fail `jsonschema`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from hypothesis import strategies as st

from harness.fuzz._schema import (
    JSONValue,
    Schema,
    child,
    resolve_ref,
    tool_parameters,
    types_of,
)
from harness.fuzz.strategies import Compiler

HUGE = 100_000
"""Length of the 'huge string' examples (about what a runaway generation emits)."""


class _Unparseable:
    _instance: _Unparseable | None = None

    def __new__(cls) -> _Unparseable:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNPARSEABLE"

    def __bool__(self) -> bool:
        return False


UNPARSEABLE: Final = _Unparseable()
"""`InvalidArguments.parsed` of text that `json.loads` refuses."""


@dataclass(frozen=True)
class InvalidArguments:
    """One invalid tool call's `arguments`.

    `text` is the arguments string as the API would deliver it; `parsed` is
    `json.loads(text)`, or `UNPARSEABLE` when the text is malformed JSON;
    `reason` says what is wrong and where (a JSON pointer).
    """

    text: str
    parsed: JSONValue
    reason: str

    @property
    def malformed(self) -> bool:
        return self.parsed is UNPARSEABLE


def dumps(value: JSONValue) -> str:
    """Arguments text the way models write it: compact, raw unicode."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True)
class _Place:
    path: tuple[str | int, ...]
    value: JSONValue
    node: Mapping[str, Any]

    @property
    def pointer(self) -> str:
        return child("", *self.path) or "/"


def _resolved(
    compiler: Compiler, node: Schema, value: JSONValue, ptr: str
) -> Mapping[str, Any] | None:
    """`node` with `$ref`/`allOf` folded in and the `anyOf`/`oneOf` branch `value` takes."""
    for _ in range(32):  # a ref chain longer than this is a cycle
        if not isinstance(node, Mapping):
            return None
        if "$ref" in node:
            target, ptr = resolve_ref(compiler.root, node["$ref"], ptr)
            rest = {k: v for k, v in node.items() if k != "$ref"}
            node = compiler.merge_all_of({"allOf": [target, rest]}, ptr) if rest else target
        elif "allOf" in node:
            node = compiler.merge_all_of(node, ptr)
        elif "anyOf" in node or "oneOf" in node:
            key = "anyOf" if "anyOf" in node else "oneOf"
            rest = {k: v for k, v in node.items() if k != key}
            branches = [b for b in node[key] if compiler.is_valid(b)(value)]
            if not branches:
                return None
            node = compiler.merge_all_of({"allOf": [rest, branches[0]]}, ptr)
        else:
            return node
    return None


def _places(
    compiler: Compiler, node: Schema, value: JSONValue, path: tuple[str | int, ...]
) -> Iterator[_Place]:
    resolved = _resolved(compiler, node, value, "")
    if resolved is None:
        return
    yield _Place(path, value, resolved)
    if isinstance(value, dict):
        props = resolved.get("properties", {})
        extra = resolved.get("additionalProperties")
        for key, sub in value.items():
            schema = props.get(key, extra)
            if isinstance(schema, Mapping):
                yield from _places(compiler, schema, sub, (*path, key))
    elif isinstance(value, list):
        prefix = resolved.get("prefixItems", [])
        for index, sub in enumerate(value):
            schema = prefix[index] if index < len(prefix) else resolved.get("items")
            if isinstance(schema, Mapping):
                yield from _places(compiler, schema, sub, (*path, index))


# ---- mutations: (applies to a place?, strategy of (new value, reason)) ----------------

Mutation = tuple[
    Callable[[_Place], bool], Callable[[_Place], st.SearchStrategy[tuple[JSONValue, str]]]
]


def _allowed(place: _Place) -> tuple[str, ...] | None:
    return types_of(place.node)


def _type_name(value: JSONValue) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _admits_type(allowed: tuple[str, ...], value: JSONValue) -> bool:
    kind = _type_name(value)
    if kind == "integer" and "number" in allowed:
        return True
    if kind == "number" and "integer" in allowed and float(value).is_integer():
        return True
    return kind in allowed


def _wrong_values(place: _Place) -> st.SearchStrategy[tuple[JSONValue, str]]:
    allowed = _allowed(place) or ()
    value = place.value
    # the mistakes models make: numbers and booleans as strings, nested JSON double-encoded
    likely: list[JSONValue] = [True, 0, 1.5, "", "1", [], {}]
    if isinstance(value, (int, float, bool)):
        likely.append(json.dumps(value))
    if isinstance(value, (dict, list)):
        likely.append(dumps(value))
    if isinstance(value, str):
        likely.extend([[value], {"value": value}])
    candidates = [v for v in likely if not _admits_type(allowed, v)]
    return st.sampled_from(candidates).map(
        lambda v: (
            v,
            f"wrong type at {place.pointer}: {_type_name(v)} where {'/'.join(allowed)} is expected",
        )
    )


def _has_wrong_type(place: _Place) -> bool:
    allowed = _allowed(place)
    return allowed is not None and set(allowed) != {
        "null",
        "boolean",
        "integer",
        "number",
        "string",
        "array",
        "object",
    }


def _null(place: _Place) -> st.SearchStrategy[tuple[JSONValue, str]]:
    return st.just((None, f"null at {place.pointer}"))


def _missing(place: _Place) -> st.SearchStrategy[tuple[JSONValue, str]]:
    present = [k for k in place.node.get("required", []) if k in place.value]
    return st.sampled_from(present).map(
        lambda key: (
            {k: v for k, v in place.value.items() if k != key},
            f"missing required key {key!r} at {place.pointer}",
        )
    )


def _extra(place: _Place) -> st.SearchStrategy[tuple[JSONValue, str]]:
    props = place.node.get("properties", {})
    names = st.sampled_from(["extra", "id", "type", "", "__proto__"]) | st.text(max_size=10)
    return st.tuples(
        names.filter(lambda k: k not in props), st.sampled_from([None, "", 1, True])
    ).map(
        lambda kv: ({**place.value, kv[0]: kv[1]}, f"undeclared key {kv[0]!r} at {place.pointer}")
    )


def _enum_miss(place: _Place) -> st.SearchStrategy[tuple[JSONValue, str]]:
    known = list(place.node["enum"]) if "enum" in place.node else [place.node.get("const")]
    near: list[JSONValue] = []
    for v in known:
        if isinstance(v, str):
            near += [v.lower(), v.title(), v + " ", v.replace("_", " ")]
    options = st.sampled_from([*near, "", "other", "\u00e9"]) | st.text(max_size=8)
    return options.filter(lambda v: v not in known).map(
        lambda v: (v, f"value not in enum at {place.pointer}: {v!r}")
    )


def _string_bounds(place: _Place) -> st.SearchStrategy[tuple[JSONValue, str]]:
    node, options = place.node, []
    if node.get("minLength", 0) > 0:
        options.append(("", "empty string"))
    if "maxLength" in node:
        options.append(("A" * (int(node["maxLength"]) + 1), "string over maxLength"))
        options.append(("A" * HUGE, "huge string"))
    if "pattern" in node or "format" in node:
        options += [
            ("", "empty string"),
            ("\U0001f600\u202e\u00e9", "unicode"),
            ("A" * HUGE, "huge string"),
        ]
    return st.sampled_from(options).map(lambda o: (o[0], f"{o[1]} at {place.pointer}"))


def _number_bounds(place: _Place) -> st.SearchStrategy[tuple[JSONValue, str]]:
    node, options = place.node, []
    for key, delta in (
        ("minimum", -1),
        ("exclusiveMinimum", 0),
        ("maximum", 1),
        ("exclusiveMaximum", 0),
    ):
        if isinstance(node.get(key), (int, float)) and not isinstance(node.get(key), bool):
            options.append((node[key] + delta, f"{key} {node[key]} broken"))
    step = node.get("multipleOf")
    if isinstance(step, (int, float)) and isinstance(place.value, (int, float)):
        options.append((place.value + step / 2, f"not a multiple of {step}"))
    return st.sampled_from(options).map(lambda o: (o[0], f"{o[1]} at {place.pointer}"))


def _array_bounds(place: _Place) -> st.SearchStrategy[tuple[JSONValue, str]]:
    node, value, options = place.node, place.value, []
    if node.get("minItems", 0) > 0:
        options.append((value[: int(node["minItems"]) - 1], "fewer than minItems"))
    if "maxItems" in node and value:
        options.append((value * (int(node["maxItems"]) + 1), "more than maxItems"))
    if node.get("uniqueItems") and value:
        options.append(([*value, value[0]], "duplicate items"))
    return st.sampled_from(options).map(lambda o: (o[0], f"{o[1]} at {place.pointer}"))


def _is(kind: type | tuple[type, ...]) -> Callable[[_Place], bool]:
    return lambda p: isinstance(p.value, kind) and not isinstance(p.value, bool)


MUTATIONS: Mapping[str, Mutation] = {
    "missing": (
        lambda p: (
            isinstance(p.value, dict) and any(k in p.value for k in p.node.get("required", []))
        ),
        _missing,
    ),
    "wrong_type": (_has_wrong_type, _wrong_values),
    "null": (lambda p: p.value is not None and "null" not in (_allowed(p) or ("null",)), _null),
    "extra": (
        lambda p: isinstance(p.value, dict) and p.node.get("additionalProperties") is False,
        _extra,
    ),
    "enum": (lambda p: "enum" in p.node or "const" in p.node, _enum_miss),
    "string": (
        lambda p: (
            isinstance(p.value, str)
            and bool({"minLength", "maxLength", "pattern", "format"} & set(p.node))
        ),
        _string_bounds,
    ),
    "number": (
        lambda p: (
            _is((int, float))(p)
            and bool(
                {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
                & set(p.node)
            )
        ),
        _number_bounds,
    ),
    "array": (
        lambda p: (
            isinstance(p.value, list)
            and (
                p.node.get("minItems", 0) > 0
                or ("maxItems" in p.node and bool(p.value))
                or (bool(p.node.get("uniqueItems")) and bool(p.value))
            )
        ),
        _array_bounds,
    ),
}
"""The ways to break one place, by name; each applies where the schema constrains it."""


def _replace(value: JSONValue, path: tuple[str | int, ...], new: JSONValue) -> JSONValue:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)  # type: ignore[index]
    return copy


def _schema_invalid(compiler: Compiler, root: Schema) -> st.SearchStrategy[InvalidArguments]:
    valid = compiler.compile(root, "")
    is_valid = compiler.is_valid(root)

    @st.composite
    def broken(draw: st.DrawFn) -> InvalidArguments:
        value = draw(valid)
        places = list(_places(compiler, root, value, ()))
        # pick the kind of mistake first, so rare kinds (an enum miss deep down) still show up
        kinds = {
            name: [p for p in places if applies(p)] for name, (applies, _) in MUTATIONS.items()
        }
        kinds = {name: found for name, found in kinds.items() if found}
        if not kinds:  # nothing the schema constrains: only a non-object breaks it
            kinds = {"wrong_type": [_Place((), value, {"type": "object"})]}
        name = draw(st.sampled_from(sorted(kinds)))
        place = draw(st.sampled_from(kinds[name]))
        mutate = MUTATIONS[name][1]
        new, reason = draw(mutate(place))
        result = _replace(value, place.path, new)
        return InvalidArguments(dumps(result), result, reason)

    return broken().filter(lambda example: not is_valid(example.parsed))


# ---- malformed JSON text -------------------------------------------------------


def _unparseable(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return True
    return False


_KEY = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)":')
MALFORMATIONS: Mapping[str, Callable[[JSONValue, str, int], str]] = {
    "truncated": lambda value, text, cut: text[: cut % max(1, len(text))],
    "trailing comma": lambda value, text, cut: (
        text[:-1] + ",}" if text.endswith("}") else text + ","
    ),
    "single quotes": lambda value, text, cut: text.replace('"', "'"),
    "python literal": lambda value, text, cut: repr(value),
    "code fence": lambda value, text, cut: "```json\n" + text + "\n```",
    "two objects": lambda value, text, cut: text + text,
    "unquoted keys": lambda value, text, cut: _KEY.sub(r"\1:", text),
    "raw newline in string": lambda value, text, cut: text.replace("\\n", "\n"),
    "empty": lambda value, text, cut: "",
}
"""Ways models (or their truncated streams) break the JSON of `arguments`."""


def malformed_arguments(valid: st.SearchStrategy[JSONValue]) -> st.SearchStrategy[InvalidArguments]:
    """Arguments text `json.loads` refuses, built from valid argument objects."""

    @st.composite
    def malformed(draw: st.DrawFn) -> InvalidArguments:
        value = draw(valid)
        name = draw(st.sampled_from(sorted(MALFORMATIONS)))
        text = MALFORMATIONS[name](value, dumps(value), draw(st.integers(0, 10_000)))
        return InvalidArguments(text, UNPARSEABLE, f"malformed JSON: {name}")

    return malformed().filter(lambda example: _unparseable(example.text))


def invalid_arguments(
    tool: Mapping[str, Any], *, malformed: bool = True
) -> st.SearchStrategy[InvalidArguments]:
    """`InvalidArguments` for `tool`: schema violations, and malformed JSON text
    unless `malformed=False` (handlers that take parsed dicts never see those)."""
    root = tool_parameters(tool)
    compiler = Compiler(root)
    broken = _schema_invalid(compiler, root)
    if not malformed:
        return broken
    return st.one_of(broken, malformed_arguments(compiler.compile(root, "")))


__all__ = ["UNPARSEABLE", "InvalidArguments", "invalid_arguments", "malformed_arguments"]
