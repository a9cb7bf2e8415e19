"""A request body's shape: the body with every free text left out, for remembering valid bodies.

Checking a body against the spec's schemas walks dozens of union branches
(a Responses input item may be any of twenty kinds), which costs about a
millisecond a request. Two bodies that differ only in free text (what the user
said, a tool's output, an id) are valid or not together, so a body whose shape
was found valid needs no second walk.

A property's strings are free when no schema anywhere in the operation's
request constrains a string under that name but by its length (no `enum`,
`const`, `pattern`, `format`, `not` or `if`): a string there stands in the
shape for its length class (which of the named lengths it reaches), and any
two strings of one class are as good as each other. What a map
(`additionalProperties`, `patternProperties`, `propertyNames`: metadata,
attributes, headers) holds is kept whole, since its keys are the caller's,
and so is everything when the schema has a map somewhere other than under a
named property.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]
_STRING_RULES = ("enum", "const", "pattern", "format", "not", "if")
_MAP_RULES = ("additionalProperties", "patternProperties", "propertyNames")


@dataclass(frozen=True)
class Shapes:
    free: dict[str, tuple[int, ...]]
    """Properties whose strings matter only by length: the lengths that matter (a string
    reaching one is on its other side)."""
    kept: frozenset[str]
    """Properties whose values are maps: kept whole."""

    def of(self, body: Any) -> Any:
        """`body` with each string of a free property as its length class."""
        if isinstance(body, dict):
            return {key: self._value(key, value) for key, value in body.items()}
        if isinstance(body, list):
            return [self.of(item) for item in body]
        return body

    def _value(self, key: str, value: Any) -> Any:
        if key in self.kept:
            return value
        lengths = self.free.get(key)
        if lengths is not None and isinstance(value, str):
            # not a string: a shape is compared, never checked
            return [sum(len(value) >= n for n in lengths)]
        return self.of(value)


NONE = Shapes({}, frozenset())


def shapes_for(request: Schema, components: dict[str, Schema]) -> Shapes:
    """What of a body the request schema `request` (refs into `components`) leaves free."""
    named: dict[str, list[Any]] = {}
    seen: set[str] = set()
    unnamed_map = False

    def resolve(node: Any) -> Any:
        ref = node.get("$ref") if isinstance(node, dict) else None
        return components.get(ref.rsplit("/", 1)[-1]) if isinstance(ref, str) else node

    def walk(node: Any, named_here: bool) -> None:
        nonlocal unnamed_map
        if isinstance(node, list):
            for child in node:
                walk(child, named_here)
            return
        if not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                walk(components.get(name), named_here)
            return
        if not named_here and _is_map(node):
            unnamed_map = True
        for key, child in node.items():
            if key == "properties" and isinstance(child, dict):
                for prop, schema in child.items():
                    named.setdefault(prop, []).append(schema)
                    walk(schema, True)
            elif key in ("anyOf", "oneOf", "allOf"):
                walk(child, named_here)
            elif key not in _MAP_RULES and isinstance(child, (dict, list)):
                walk(child, False)

    walk(request, False)
    if unnamed_map:
        return NONE
    kept = {p for p, schemas in named.items() if any(_has_map(s, resolve) for s in schemas)}
    free: dict[str, tuple[int, ...]] = {}
    for prop, schemas in named.items():
        lengths = _lengths(schemas, resolve)
        if lengths is not None and prop not in kept:
            free[prop] = lengths
    return Shapes(free, frozenset(kept))


def _is_map(node: Schema) -> bool:
    extra = node.get("additionalProperties")
    return isinstance(extra, dict) or any(k in node for k in _MAP_RULES[1:])


def _branches(node: Any, resolve: Callable[[Any], Any]) -> list[Schema]:
    """`node` and every schema its unions and refs lead to."""
    out: list[Schema] = []
    seen: set[int] = set()
    todo = [node]
    while todo:
        found = resolve(todo.pop())
        if not isinstance(found, dict) or id(found) in seen:
            continue
        seen.add(id(found))
        out.append(found)
        for key in ("anyOf", "oneOf", "allOf"):
            todo += found.get(key) or []
    return out


def _lengths(schemas: list[Any], resolve: Callable[[Any], Any]) -> tuple[int, ...] | None:
    """The string lengths the schemas tell apart (`minLength` n: n; `maxLength` m: m + 1),
    or None when they constrain strings otherwise."""
    lengths: set[int] = set()
    for schema in schemas:
        for node in _branches(schema, resolve):
            kind = node.get("type")
            takes_strings = (
                kind is None or kind == "string" or (isinstance(kind, list) and "string" in kind)
            )
            if not takes_strings:
                continue
            if any(rule in node for rule in _STRING_RULES):
                return None
            if isinstance(node.get("minLength"), int):
                lengths.add(node["minLength"])
            if isinstance(node.get("maxLength"), int):
                lengths.add(node["maxLength"] + 1)
    return tuple(sorted(lengths))


def _has_map(schema: Any, resolve: Callable[[Any], Any]) -> bool:
    return any(_is_map(node) for node in _branches(schema, resolve))
