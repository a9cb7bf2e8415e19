"""Near-misses: for one place of a valid argument object and the schema node that
constrains it, the values one edit away that the node rejects, by JSON Schema keyword.

A string one character off its `pattern`, a date that does not exist, a number one
(or the smallest step) past a bound, a length or item count one past its limit, one
duplicate item, each required key missing, one undeclared key, a type confused with a
near one, an enum value miscased, an object matching two `oneOf` branches, a
`dependentRequired` or `if`/`then` rule broken. Callers check every edit with `jsonschema`
and drop those that are still valid.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from harness.formats import NEAR_MISSES
from harness.fuzz._schema import JSONValue, Schema, child, types_of
from harness.fuzz.exemplar import Exemplars, NoExemplar

Fresh = Callable[[Schema, int], JSONValue]
"""A new valid value of a schema (the int asks for a value unlike lower ones)."""

HUGE = 100_000
"""Length of the 'huge string' examples (about what a runaway generation emits)."""


@dataclass(frozen=True)
class Place:
    """A value inside the arguments, the schema node it meets (refs and allOf folded in,
    the union branch it takes), and the unions it went through on the way."""

    path: tuple[str | int, ...]
    value: JSONValue
    node: Mapping[str, Any]
    unions: tuple[tuple[str, Mapping[str, Any]], ...] = field(default=())

    @property
    def pointer(self) -> str:
        return child("", *self.path) or "/"

    @property
    def shape(self) -> str:
        """The pointer with array indices as `*`: the same place in any example."""
        return child("", *("*" if isinstance(p, int) else p for p in self.path)) or "/"


@dataclass(frozen=True)
class Edit:
    """One near-miss: `kind` is its family (`pattern`, `bound`, `missing`, ...)."""

    kind: str
    value: JSONValue
    label: str


def type_name(value: JSONValue) -> str:
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


def _number(value: JSONValue) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class NearMisses:
    """The near-miss edits of places under one root schema."""

    def __init__(self, exemplars: Exemplars) -> None:
        self.exemplars = exemplars
        self._families: tuple[Callable[[Place, Fresh | None], Iterator[Edit]], ...] = (
            self._missing,
            self._extra,
            self._types,
            self._enum,
            self._pattern,
            self._format,
            self._length,
            self._bounds,
            self._counts,
            self._dependent,
            self._one_of,
            self._conditional,
        )

    def edits(self, place: Place, fresh: Fresh | None) -> list[Edit]:
        """The near-misses at `place`. `fresh(schema, variant)` gives new valid values where
        an edit needs them (an item to grow an array past maxItems, another oneOf branch);
        without it arrays grow by repeating items and oneOf branches are not merged (inside
        a Hypothesis test, where exemplars cannot be searched for)."""
        out: list[Edit] = []
        for family in self._families:
            out.extend(family(place, fresh))
        return out

    # ---- objects --------------------------------------------------------------

    def _missing(self, place: Place, fresh: Fresh | None) -> Iterator[Edit]:
        value = place.value
        if not isinstance(value, dict):
            return
        for key in dict.fromkeys(place.node.get("required", [])):
            if key in value:
                rest = {k: v for k, v in value.items() if k != key}
                yield Edit("missing", rest, f"missing required key {key!r} at {place.pointer}")

    def _extra(self, place: Place, fresh: Fresh | None) -> Iterator[Edit]:
        value, node = place.value, place.node
        extra = node.get("additionalProperties")
        if not isinstance(value, dict) or extra is None or extra is True:
            return
        names = ["extra"]
        for name in list(node.get("properties", {}))[:3]:
            camel = re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)
            names += [camel if camel != name else name + "_", name + "s"]
        filler = next(iter(value.values()), "x")
        for name in dict.fromkeys(names):
            if name not in value and name not in node.get("properties", {}):
                grown = {**value, name: filler if extra is False else None}
                yield Edit("extra", grown, f"undeclared key {name!r} at {place.pointer}")
        limit = node.get("maxProperties")
        if isinstance(limit, int) and extra is not False:
            grown = dict(value)
            index = 0
            while len(grown) <= limit:
                grown.setdefault(f"extra{index}", filler)
                index += 1
            yield Edit("count", grown, f"one key over maxProperties at {place.pointer}")
        low = node.get("minProperties")
        if isinstance(low, int) and low > 0 and len(value) >= low:
            shrunk = dict(list(value.items())[: low - 1])
            yield Edit("count", shrunk, f"one key under minProperties at {place.pointer}")

    def _dependent(self, place: Place, fresh: Fresh | None) -> Iterator[Edit]:
        value = place.value
        rules = place.node.get("dependentRequired")
        if not isinstance(value, dict) or not isinstance(rules, Mapping):
            return
        for key, needed in rules.items():
            if key not in value:
                continue
            for other in needed:
                if other in value:
                    rest = {k: v for k, v in value.items() if k != other}
                    label = f"{key!r} without the {other!r} it requires at {place.pointer}"
                    yield Edit("dependent", rest, label)

    def _one_of(self, place: Place, fresh: Fresh | None) -> Iterator[Edit]:
        """Two `oneOf` branches met at once: this object merged with another branch's."""
        for key, union in place.unions:
            if key != "oneOf" or not isinstance(place.value, dict) or fresh is None:
                continue
            for index, branch in enumerate(self.exemplars.branches(union, key)):
                try:
                    other = fresh(branch, 0)
                except NoExemplar:
                    continue
                if isinstance(other, dict) and other != place.value:
                    merged = {**other, **place.value}
                    label = f"matches oneOf branch {index} too at {place.pointer}"
                    yield Edit("one_of", merged, label)

    def _conditional(self, place: Place, fresh: Fresh | None) -> Iterator[Edit]:
        """The `then` (or `else`) side broken while the `if` side holds as it did."""
        node = place.node
        if "if" not in node:
            return
        holds = self.exemplars.compiler.is_valid(node["if"])(place.value)
        side = node.get("then" if holds else "else")
        if not isinstance(side, Mapping):
            return
        word = "then" if holds else "else"
        inner = Place(place.path, place.value, side)
        for edit in self.edits(inner, fresh):
            yield Edit("conditional", edit.value, f"{edit.label} ('{word}' of an 'if')")

    # ---- any type -------------------------------------------------------------

    def _types(self, place: Place, fresh: Fresh | None) -> Iterator[Edit]:
        allowed = types_of(place.node)
        if allowed is None:
            return
        value = place.value
        candidates: list[JSONValue] = []
        if _number(value):
            # "5" for 5, a bool for a number, 5.5 for an integer (5.0 IS an integer to
            # JSON Schema, so it is no near-miss: jsonschema drops it)
            candidates += [json.dumps(value), True, value + 0.5]
        elif isinstance(value, bool):
            candidates += [str(value).lower(), int(value)]
        elif isinstance(value, str):
            candidates += [1, [value], {"value": value}]
            if re.fullmatch(r"-?\d+(\.\d+)?", value):
                candidates.append(json.loads(value))
        elif isinstance(value, list):
            candidates += [json.dumps(value, separators=(",", ":"), ensure_ascii=False), {}]
            if value:
                candidates.append(value[0])
        elif isinstance(value, dict):
            candidates += [json.dumps(value, separators=(",", ":"), ensure_ascii=False), [value]]
        candidates += ["", 0, []]
        for candidate in candidates:
            kind = type_name(candidate)
            if kind not in allowed and not (kind == "integer" and "number" in allowed):
                label = f"wrong type at {place.pointer}: {kind} where {'/'.join(allowed)}"
                yield Edit("wrong_type", candidate, label + " is expected")
        if value is not None and "null" not in allowed:
            yield Edit("null", None, f"null at {place.pointer}")

    def _enum(self, place: Place, fresh: Fresh | None) -> Iterator[Edit]:
        node = place.node
        if "enum" not in node and "const" not in node:
            return
        known = list(node["enum"]) if "enum" in node else [node["const"]]
        near: list[JSONValue] = []
        for v in known:
            if isinstance(v, str):
                near += [v.lower(), v.upper(), v.title(), v + " ", v.replace("_", " ")]
                near += [v.replace(" ", "_"), v[:-1], v + "s", v.replace("_", "-")]
            elif _number(v):
                near += [v + 1, v - 1, json.dumps(v)]
            elif isinstance(v, bool):
                near += [not v, str(v).lower()]
        near += ["", "other"]
        for v in dict.fromkeys(json.dumps(n) for n in near):
            candidate = json.loads(v)
            if candidate not in known:
                yield Edit("enum", candidate, f"value not in enum at {place.pointer}: {v}")

    # ---- strings --------------------------------------------------------------

    def _pattern(self, place: Place, fresh: Fresh | None) -> Iterator[Edit]:
        text = place.value
        if not isinstance(text, str) or "pattern" not in place.node:
            return
        where = place.pointer
        if not text:
            yield Edit("pattern", "x", f"a character added at {where}")
            return
        positions = sorted({0, len(text) // 2, len(text) - 1})
        for i in positions:
            char = text[i]
            yield Edit("pattern", text[:i] + text[i + 1 :], f"character {i} dropped at {where}")
            yield Edit("pattern", text[: i + 1] + text[i:], f"character {i} doubled at {where}")
            for other in dict.fromkeys(("a", "0", "_", " ", char.swapcase())):
                if other != char:
                    swapped = text[:i] + other + text[i + 1 :]
                    yield Edit(
                        "pattern", swapped, f"character {i} swapped for {other!r} at {where}"
                    )
        for extra in ("X", "x", "0", " "):
            yield Edit("pattern", extra + text, f"text before the anchored pattern at {where}")
            yield Edit("pattern", text + extra, f"text after the anchored pattern at {where}")

    def _format(self, place: Place, fresh: Fresh | None) -> Iterator[Edit]:
        fmt = place.node.get("format")
        if not isinstance(place.value, str) or not isinstance(fmt, str):
            return
        for near in NEAR_MISSES.get(fmt, ()):
            yield Edit("format", near, f"almost a {fmt} at {place.pointer}: {near!r}")

    def _length(self, place: Place, fresh: Fresh | None) -> Iterator[Edit]:
        text, node = place.value, place.node
        if not isinstance(text, str):
            return
        low, high = node.get("minLength"), node.get("maxLength")
        if isinstance(low, int) and low > 0:
            yield Edit(
                "length", text[: low - 1], f"one character under minLength at {place.pointer}"
            )
        if isinstance(high, int):
            longer = text + (text[-1:] or "a") * (high + 1 - len(text))
            yield Edit("length", longer, f"one character over maxLength at {place.pointer}")
        if {"maxLength", "pattern", "format"} & set(node):
            yield Edit("length", "A" * HUGE, f"huge string at {place.pointer}")

    # ---- numbers --------------------------------------------------------------

    def _bounds(self, place: Place, fresh: Fresh | None) -> Iterator[Edit]:
        value, node = place.value, place.node
        if not _number(value):
            return
        integral = "number" not in (types_of(node) or ("number",))
        where = place.pointer
        for key, direction in (
            ("minimum", -1),
            ("exclusiveMinimum", 0),
            ("maximum", 1),
            ("exclusiveMaximum", 0),
        ):
            bound = node.get(key)
            if not _number(bound):
                continue
            if not direction:  # the exclusive bound itself is the closest value it rejects
                yield Edit("bound", bound, f"{key} {bound} reached at {where}")
                continue
            yield Edit("bound", bound + direction, f"{key} {bound} missed by one at {where}")
            if not integral:
                toward = math.inf * direction
                nudged = math.nextafter(float(bound), toward)
                label = f"{key} {bound} missed by the smallest step at {where}"
                yield Edit("bound", nudged, label)
        multiple = node.get("multipleOf")
        if _number(multiple) and multiple > 0:
            if integral or float(multiple).is_integer():
                yield Edit("multiple", value + 1, f"not a multiple of {multiple} at {where}")
            yield Edit("multiple", value + multiple / 2, f"not a multiple of {multiple} at {where}")

    # ---- arrays ---------------------------------------------------------------

    def _counts(self, place: Place, fresh: Fresh | None) -> Iterator[Edit]:
        items, node = place.value, place.node
        if not isinstance(items, list):
            return
        where = place.pointer
        low, high = node.get("minItems"), node.get("maxItems")
        if isinstance(low, int) and low > 0:
            yield Edit("count", items[: low - 1], f"one item under minItems at {where}")
        if isinstance(high, int):
            yield Edit(
                "count", self._grow(node, items, high + 1, fresh), f"one over maxItems at {where}"
            )
        if node.get("uniqueItems") and items:
            twin = [*items[:-1], items[0]] if len(items) > 1 else [items[0], items[0]]
            yield Edit("unique", twin, f"one duplicate item at {where}")

    def _grow(
        self, node: Mapping[str, Any], items: list[JSONValue], size: int, fresh: Fresh | None
    ) -> JSONValue:
        """`items` grown to `size` with new valid items (distinct where the schema allows)."""
        grown = list(items)
        schema: Schema = node.get("items", True)
        variant = len(grown)
        while len(grown) < size:
            try:
                if fresh is None:
                    raise NoExemplar("no new values here")
                grown.append(fresh(schema, variant))
            except NoExemplar:
                grown.append(grown[-1] if grown else None)
            variant += 1
        return grown
