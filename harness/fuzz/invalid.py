"""Arguments a model really emits that the tool's schema rejects.

Each example is a valid argument object with one near-miss at one place the
schema constrains (`harness.fuzz.near_miss`: a pattern one character off, an
almost-date, a bound missed by one, a required key dropped, ...), or its JSON
text broken into text `json.loads` refuses (truncated, trailing comma, single
quotes, Python literals, code fences, two objects glued together). Every
parseable example is checked to fail `jsonschema` (with `format` asserted) and
its reason names the keyword that rejects it and where.

`near_misses(tool)` lists them for one rich valid object (every property, an
item in every array), so each keyword's near-misses are tried once, in order;
`invalid_arguments(tool)` draws them at random places of random valid objects.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

import jsonschema
from hypothesis import strategies as st

from harness.fuzz._schema import JSONValue, Schema, resolve_ref, tool_parameters, validator_for
from harness.fuzz.exemplar import Exemplars, NoExemplar
from harness.fuzz.near_miss import Edit, Fresh, NearMisses, Place
from harness.fuzz.strategies import Compiler


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
    `reason` says what is wrong and where (a JSON pointer; `rejection` names
    the keyword that rejects it and the JSON path); `kind` is the near-miss family (`pattern`,
    `format`, `bound`, `missing`, ..., `malformed`) and `shape` the place's
    pointer with array indices as `*`.
    """

    text: str
    parsed: JSONValue
    reason: str
    kind: str = ""
    shape: str = ""

    @property
    def malformed(self) -> bool:
        return self.parsed is UNPARSEABLE


def dumps(value: JSONValue) -> str:
    """Arguments text the way models write it: compact, raw unicode."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class _Breaker:
    """Near-misses of one tool's parameters, each checked against the schema."""

    def __init__(self, root: Schema) -> None:
        self.root = root
        self.compiler = Compiler(root)
        self.exemplars = Exemplars(self.compiler)
        self.near = NearMisses(self.exemplars)
        self.strict = validator_for(root, formats=True) if isinstance(root, Mapping) else None

    def resolved(
        self, node: Schema, value: JSONValue
    ) -> tuple[Mapping[str, Any], tuple[tuple[str, Mapping[str, Any]], ...]] | None:
        """`node` with `$ref`/`allOf` folded in and the `anyOf`/`oneOf` branch `value` takes."""
        unions: list[tuple[str, Mapping[str, Any]]] = []
        ptr = ""
        for _ in range(32):  # a ref chain longer than this is a cycle
            if not isinstance(node, Mapping):
                return None
            if "$ref" in node:
                target, ptr = resolve_ref(self.root, node["$ref"], ptr)
                rest = {k: v for k, v in node.items() if k != "$ref"}
                node = (
                    self.compiler.merge_all_of({"allOf": [target, rest]}, ptr) if rest else target
                )
            elif "allOf" in node:
                node = self.compiler.merge_all_of(node, ptr)
            elif "anyOf" in node or "oneOf" in node:
                key = "anyOf" if "anyOf" in node else "oneOf"
                unions.append((key, node))
                rest = {k: v for k, v in node.items() if k != key}
                branches = [b for b in node[key] if self.compiler.is_valid(b)(value)]
                if not branches:
                    return None
                node = self.compiler.merge_all_of({"allOf": [rest, branches[0]]}, ptr)
            else:
                return node, tuple(unions)
        return None

    def places(
        self, node: Schema, value: JSONValue, path: tuple[str | int, ...]
    ) -> Iterator[Place]:
        found = self.resolved(node, value)
        if found is None:
            return
        resolved, unions = found
        yield Place(path, value, resolved, unions)
        if isinstance(value, dict):
            props = resolved.get("properties", {})
            extra = resolved.get("additionalProperties")
            for key, sub in value.items():
                schema = props.get(key, extra)
                if isinstance(schema, Mapping):
                    yield from self.places(schema, sub, (*path, key))
        elif isinstance(value, list):
            prefix = resolved.get("prefixItems", [])
            for index, sub in enumerate(value):
                schema = prefix[index] if index < len(prefix) else resolved.get("items")
                if isinstance(schema, Mapping):
                    yield from self.places(schema, sub, (*path, index))

    def edits(self, value: JSONValue, fresh: Fresh | None) -> list[tuple[Place, Edit]]:
        places = list(self.places(self.root, value, ()))
        pairs = [(p, e) for p in places for e in self.near.edits(p, fresh)]
        if not pairs:  # nothing the schema constrains inside: only a non-object breaks it
            whole = Place((), value, {"type": "object"})
            pairs = [(whole, e) for e in self.near.edits(whole, fresh)]
        return pairs

    def apply(self, value: JSONValue, place: Place, edit: Edit) -> InvalidArguments | None:
        """The arguments with `edit` made at `place`, or None when the schema still admits them."""
        result = _replace(value, place.path, edit.value)
        assert self.strict is not None
        if self.strict.is_valid(result):
            return None
        try:
            text = dumps(result)
        except ValueError:  # a bound of inf or nan has no JSON text
            return None
        return InvalidArguments(text, result, edit.label, edit.kind, place.shape)

    def rejection(self, parsed: JSONValue) -> str:
        """Which keyword rejects `parsed`, where (a JSON path), and jsonschema's words."""
        assert self.strict is not None
        errors = list(self.strict.iter_errors(parsed))
        if not errors:
            return ""
        error = jsonschema.exceptions.best_match(errors)
        return f"{error.validator!r} at {error.json_path}: {error.message}"

    def other_branches(self, value: JSONValue) -> Iterator[JSONValue]:
        """`value` with each union it holds switched to its other branches in turn (one at
        a time), so the near-misses reach inside every branch."""
        is_valid = self.compiler.is_valid(self.root)
        for place in self.places(self.root, value, ()):
            if not place.unions:
                continue
            key, union = place.unions[-1]
            for branch in self.exemplars.branches(union, key):
                for other in self.exemplars.candidates(branch):
                    switched = _replace(value, place.path, other)
                    if other != place.value and is_valid(switched):
                        yield switched
                        break

    def exemplar(self) -> JSONValue:
        try:
            return self.exemplars.of(self.root)
        except NoExemplar:
            return None


def _replace(value: JSONValue, path: tuple[str | int, ...], new: JSONValue) -> JSONValue:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)  # type: ignore[index]
    return copy


def rejection(tool: Mapping[str, Any], parsed: JSONValue) -> str:
    """Which JSON Schema keyword rejects `parsed` and at which JSON path (`'pattern' at
    $.customer_id: ...`), with `format` asserted; empty when the schema admits it."""
    return _Breaker(tool_parameters(tool)).rejection(parsed)


def near_misses(tool: Mapping[str, Any]) -> list[InvalidArguments]:
    """Every near-miss of one rich valid argument object of `tool`, each checked invalid,
    in schema order (each keyword's near-misses tried once, deterministically).

    Finding them runs Hypothesis searches (a valid string per pattern, per array item), so
    they are found once per schema in a process; each call gets its own copies."""
    root = tool_parameters(tool)
    if not _plain(root):
        return _near_misses(root)
    # For plain JSON data, equal JSON text means an equal schema, key order included.
    return [replace(e, parsed=copy.deepcopy(e.parsed)) for e in _found(json.dumps(root))]


@functools.lru_cache(maxsize=64)
def _found(schema: str) -> tuple[InvalidArguments, ...]:
    """The near-misses of the schema written as `schema`, found once (see `near_misses`)."""
    return tuple(_near_misses(json.loads(schema)))


def _plain(value: object) -> bool:
    """Whether `value` is made of dicts with string keys, lists and JSON scalars only."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (str, int, float))


def _near_misses(root: Schema) -> list[InvalidArguments]:
    breaker = _Breaker(root)
    if breaker.strict is None:
        return []
    value = breaker.exemplar()
    if value is None:
        return []
    out: dict[str, InvalidArguments] = {}
    for base in [value, *breaker.other_branches(value)]:
        for place, edit in breaker.edits(base, breaker.exemplars.of):
            example = breaker.apply(base, place, edit)
            if example is not None:
                out.setdefault(example.text, example)
    return list(out.values())


def _schema_invalid(
    breaker: _Breaker, only: tuple[str, str] | None = None
) -> st.SearchStrategy[InvalidArguments]:
    valid = breaker.compiler.compile(breaker.root, "")

    @st.composite
    def broken(draw: st.DrawFn) -> InvalidArguments | None:
        value = draw(valid)
        pairs = breaker.edits(value, None)
        if only is not None:
            pairs = [(p, e) for p, e in pairs if (p.shape, e.kind) == only]
        if not pairs:
            return None
        # the family first, so rare kinds (an enum miss deep down) still show up
        kind = draw(st.sampled_from(sorted({e.kind for _, e in pairs})))
        chosen = [(p, e) for p, e in pairs if e.kind == kind]
        # an index, not sampled_from(chosen): its repr would print every edit
        place, edit = chosen[draw(st.integers(0, len(chosen) - 1))]
        return breaker.apply(value, place, edit)

    return broken().filter(lambda example: example is not None)  # type: ignore[return-value]


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
        return InvalidArguments(text, UNPARSEABLE, f"malformed JSON: {name}", "malformed", "/")

    return malformed().filter(lambda example: _unparseable(example.text))


def invalid_arguments(
    tool: Mapping[str, Any], *, malformed: bool = True, like: InvalidArguments | None = None
) -> st.SearchStrategy[InvalidArguments]:
    """`InvalidArguments` for `tool`: near-misses of the schema, and malformed JSON
    text unless `malformed=False` (handlers that take parsed dicts never see those).

    With `like`, only near-misses of its kind at its place (any array index): what
    shrinks a failing example from `near_misses` to the smallest of its sort.
    """
    breaker = _Breaker(tool_parameters(tool))
    if like is not None:
        return _schema_invalid(breaker, (like.shape, like.kind))
    broken = _schema_invalid(breaker)
    if not malformed:
        return broken
    return st.one_of(broken, malformed_arguments(breaker.compiler.compile(breaker.root, "")))


__all__ = [
    "UNPARSEABLE",
    "InvalidArguments",
    "invalid_arguments",
    "malformed_arguments",
    "near_misses",
    "rejection",
]
