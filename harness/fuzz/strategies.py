"""Compile the JSON Schema subset of function tools into Hypothesis strategies
of values the schema admits, with Hypothesis's public API only.

One builder per JSON type, chosen from a table; `$ref` targets are compiled
once each behind `st.deferred`, so recursive schemas work. Where a keyword
combination cannot be built directly (`allOf` merges, `oneOf`, `enum` with
other constraints, float `multipleOf`, patterns with length bounds) the
candidate values are filtered through `jsonschema` so every example is valid.

`format`: date, date-time, time, email, uuid, uri, ipv4, ipv6 and hostname
produce well-formed values; other formats are ignored (plain strings), as
`jsonschema` ignores them unless asked to check formats.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import timezone
from typing import Any

from hypothesis import strategies as st

from harness.fuzz._schema import (
    ANNOTATIONS,
    JSON_TYPES,
    SUPPORTED,
    TYPE_KEYWORDS,
    JSONValue,
    Schema,
    SchemaNotSupported,
    child,
    resolve_ref,
    tool_parameters,
    types_of,
    validator_for,
)

Strategy = st.SearchStrategy[JSONValue]

MAX_COLLECTION = 6
"""Arrays and maps without `maxItems`/`maxProperties` stay this small (beyond the minimum)."""

EDGE_STRINGS = (
    "",
    " ",
    "0",
    "null",
    "\u00e9\u4e2d\u6587",
    "\U0001f600",
    "a\nb",
    "\\\"'",
    "A" * 10_000,
)
"""Strings a model really sends that handlers often mishandle (when the schema admits them)."""

_UTC = st.just(timezone.utc)
FORMATS: Mapping[str, Strategy] = {
    "date": st.dates().map(lambda d: d.isoformat()),
    "date-time": st.datetimes(timezones=_UTC).map(lambda d: d.isoformat()),
    "time": st.times(timezones=_UTC).map(lambda t: t.isoformat()),
    "email": st.emails(),
    "uuid": st.uuids().map(str),
    "uri": st.from_regex(r"https://[a-z]{1,12}\.example/[a-z0-9/]{0,12}", fullmatch=True),
    "ipv4": st.ip_addresses(v=4).map(str),
    "ipv6": st.ip_addresses(v=6).map(str),
    "hostname": st.from_regex(r"[a-z]{1,12}(\.[a-z]{1,12}){0,2}", fullmatch=True),
}


def any_json() -> Strategy:
    """Any small JSON value (for schemas that say nothing)."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=20)
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),
        max_leaves=6,
    )


def canonical(value: JSONValue) -> str:
    """A key under which values JSON Schema calls equal are equal (1 == 1.0, true != 1)."""

    def norm(v: JSONValue) -> JSONValue:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        return v

    return json.dumps(norm(value), sort_keys=True)


class Compiler:
    """Compiles one root schema; keeps the `$ref` strategies it has built."""

    def __init__(self, root: Schema, *, extra_properties: bool = False) -> None:
        self.root = root
        self.extra_properties = extra_properties
        self._validator = validator_for(root) if isinstance(root, Mapping) else None
        self._refs: dict[str, Strategy] = {}
        self._builders: Mapping[str, Callable[[Mapping[str, Any], str], Strategy]] = {
            "null": lambda node, ptr: st.none(),
            "boolean": lambda node, ptr: st.booleans(),
            "string": self._string,
            "integer": self._integer,
            "number": self._number,
            "array": self._array,
            "object": self._object,
        }

    def is_valid(self, node: Schema) -> Callable[[JSONValue], bool]:
        """A predicate checking values against `node`, with refs into the root."""
        assert self._validator is not None
        check = self._validator.evolve(schema=node)
        return lambda value: bool(check.is_valid(value))

    # ---- dispatch -------------------------------------------------------------

    def compile(self, node: Schema, ptr: str = "") -> Strategy:
        if node is True:
            return any_json()
        if node is False:
            return st.nothing()
        if not isinstance(node, Mapping):
            raise SchemaNotSupported(ptr, f"a schema must be an object or a boolean, got {node!r}")
        self.check_keywords(node, ptr)
        if "$ref" in node:
            target = self._ref(node["$ref"], ptr)
            rest = {k: v for k, v in node.items() if k != "$ref" and k not in ANNOTATIONS}
            if not rest:
                return target
            return target.filter(self.is_valid(node))
        if "allOf" in node:
            merged = self.merge_all_of(node, ptr)
            return self.compile(merged, ptr).filter(self.is_valid(node))
        for key in ("anyOf", "oneOf"):
            if key in node:
                return self._union(node, key, ptr)
        if "if" in node:
            return self._conditional(node, ptr)
        if "const" in node:
            return st.just(node["const"]).filter(self.is_valid(node))
        if "enum" in node:
            if not node["enum"]:
                raise SchemaNotSupported(ptr, "enum is empty: no value is valid")
            choices = st.sampled_from(list(node["enum"]))
            others = set(node) - ANNOTATIONS - {"enum"}
            return choices.filter(self.is_valid(node)) if others else choices
        types = types_of(node) or self._infer_types(node)
        unknown = [t for t in types if t not in JSON_TYPES]
        if unknown:
            raise SchemaNotSupported(ptr, f"unknown type {unknown[0]!r}")
        return st.one_of([self._builders[t](node, ptr) for t in types])

    def check_keywords(self, node: Mapping[str, Any], ptr: str) -> None:
        for key in node:
            if key not in SUPPORTED and not key.startswith("x-"):
                raise SchemaNotSupported(ptr, f"keyword {key!r} is not supported")

    @staticmethod
    def _infer_types(node: Mapping[str, Any]) -> tuple[str, ...]:
        present = set(node)
        families = [t for t, words in TYPE_KEYWORDS.items() if words & present and t != "integer"]
        return tuple(families) if families else JSON_TYPES

    def _ref(self, ref: Any, ptr: str) -> Strategy:
        if not isinstance(ref, str):
            raise SchemaNotSupported(child(ptr, "$ref"), "$ref must be a string")
        if ref not in self._refs:
            target, target_ptr = resolve_ref(self.root, ref, child(ptr, "$ref"))
            built: list[Strategy] = []
            self._refs[ref] = st.deferred(lambda: built[0])
            built.append(self.compile(target, target_ptr))
        return self._refs[ref]

    def _union(self, node: Mapping[str, Any], key: str, ptr: str) -> Strategy:
        branches = node[key]
        if not isinstance(branches, list) or not branches:
            raise SchemaNotSupported(child(ptr, key), f"{key} must be a non-empty list")
        rest = {k: v for k, v in node.items() if k != key and k not in ANNOTATIONS}
        options = []
        for index, branch in enumerate(branches):
            where = child(ptr, key, index)
            if rest:
                branch = self.merge_all_of({"allOf": [rest, branch]}, where)
            options.append(self.compile(branch, where))
        union = st.one_of(options)
        # oneOf means exactly one branch; the siblings were merged in approximately
        return union.filter(self.is_valid(node)) if key == "oneOf" or rest else union

    def _conditional(self, node: Mapping[str, Any], ptr: str) -> Strategy:
        """`if`/`then`/`else`: values of the rest, and values built to meet `if` and `then`
        (so the `then` side is not left to chance), filtered by the whole node."""
        rest = {k: v for k, v in node.items() if k not in ("if", "then", "else")}
        options = [self.compile(rest, ptr)]
        if isinstance(node["if"], Mapping) and node.get("then", True) is not False:
            try:
                both = self.merge_all_of({"allOf": [rest, node["if"], node.get("then", True)]}, ptr)
                options.insert(0, self.compile(both, ptr))
            except SchemaNotSupported:
                pass
        return st.one_of(options).filter(self.is_valid(node))

    # ---- allOf ----------------------------------------------------------------

    def merge_all_of(self, node: Mapping[str, Any], ptr: str) -> dict[str, Any]:
        """A single schema approximating `allOf` (callers filter by the real one)."""
        merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
        for index, branch in enumerate(node["allOf"]):
            where = child(ptr, "allOf", index)
            if branch is True:
                continue
            if branch is False:
                raise SchemaNotSupported(where, "allOf holds `false`: no value is valid")
            self.check_keywords(branch, where)
            if "$ref" in branch and not str(branch["$ref"]).startswith("#"):
                raise SchemaNotSupported(where, "only local $ref works")
            if "$ref" in branch:
                target, target_ptr = resolve_ref(self.root, branch["$ref"], where)
                rest = {k: v for k, v in branch.items() if k != "$ref"}
                branch = self.merge_all_of({"allOf": [target, rest]}, target_ptr)
            if "allOf" in branch:
                branch = self.merge_all_of(branch, where)
            merged = _merge(merged, branch, where)
        return merged

    # ---- builders -------------------------------------------------------------

    def _string(self, node: Mapping[str, Any], ptr: str) -> Strategy:
        low = int(node.get("minLength", 0))
        high = node.get("maxLength")
        high = None if high is None else int(high)
        if low > (high if high is not None else low):
            raise SchemaNotSupported(ptr, "minLength is above maxLength")

        def fits(s: str) -> bool:
            return low <= len(s) and (high is None or len(s) <= high)

        if "pattern" in node:
            try:
                re.compile(node["pattern"])
                strategy: Strategy = st.from_regex(node["pattern"], fullmatch=True)
            except (re.error, TypeError) as exc:
                raise SchemaNotSupported(
                    child(ptr, "pattern"), f"pattern not usable: {exc}"
                ) from None
            return strategy.filter(fits) if low or high is not None else strategy
        fmt = node.get("format")
        if isinstance(fmt, str) and fmt in FORMATS:
            return FORMATS[fmt].filter(fits)
        text = st.text(min_size=low, max_size=high)
        edges = [s for s in EDGE_STRINGS if fits(s)]
        return st.one_of(text, st.sampled_from(edges)) if edges else text

    @staticmethod
    def _bounds(node: Mapping[str, Any], ptr: str) -> tuple[float | None, float | None, bool, bool]:
        low, high = node.get("minimum"), node.get("maximum")
        ex_low, ex_high = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
        for key in ("exclusiveMinimum", "exclusiveMaximum"):
            if isinstance(node.get(key), bool):
                raise SchemaNotSupported(child(ptr, key), "boolean (draft-4) form is not supported")
        open_low = open_high = False
        if ex_low is not None and (low is None or ex_low >= low):
            low, open_low = ex_low, True
        if ex_high is not None and (high is None or ex_high <= high):
            high, open_high = ex_high, True
        return low, high, open_low, open_high

    def _integer_range(self, node: Mapping[str, Any], ptr: str) -> tuple[int | None, int | None]:
        low, high, open_low, open_high = self._bounds(node, ptr)
        lo = None if low is None else (math.floor(low) + 1 if open_low else math.ceil(low))
        hi = None if high is None else (math.ceil(high) - 1 if open_high else math.floor(high))
        return lo, hi

    def _integer(self, node: Mapping[str, Any], ptr: str) -> Strategy:
        lo, hi = self._integer_range(node, ptr)
        if lo is not None and hi is not None and lo > hi:
            return st.nothing()
        step = node.get("multipleOf")
        if step is None:
            return st.integers(lo, hi)
        if step <= 0:
            raise SchemaNotSupported(child(ptr, "multipleOf"), "multipleOf must be above 0")
        if float(step).is_integer():
            m = int(step)
            k_lo = None if lo is None else -((-lo) // m)
            k_hi = None if hi is None else hi // m
            if k_lo is not None and k_hi is not None and k_lo > k_hi:
                return st.nothing()
            return st.integers(k_lo, k_hi).map(lambda k: k * m)
        return st.integers(lo, hi).filter(self.is_valid(node))

    def _number(self, node: Mapping[str, Any], ptr: str) -> Strategy:
        step = node.get("multipleOf")
        if step is not None:
            if step <= 0:
                raise SchemaNotSupported(child(ptr, "multipleOf"), "multipleOf must be above 0")
            lo, hi = self._integer_range(node, ptr)
            k_lo = None if lo is None else math.ceil(lo / step) - 1
            k_hi = None if hi is None else math.floor(hi / step) + 1
            multiples = st.integers(k_lo, k_hi).map(lambda k: k * step)
            return multiples.filter(self.is_valid(node))
        low, high, open_low, open_high = self._bounds(node, ptr)
        floats = st.floats(
            min_value=low,
            max_value=high,
            exclude_min=open_low and low is not None,
            exclude_max=open_high and high is not None,
            allow_nan=False,
            allow_infinity=False,
        )
        lo, hi = self._integer_range(node, ptr)
        if lo is not None and hi is not None and lo > hi:
            return floats
        return st.one_of(st.integers(lo, hi), floats)

    def _array(self, node: Mapping[str, Any], ptr: str) -> Strategy:
        items = node.get("items", True)
        if isinstance(items, list):
            raise SchemaNotSupported(
                child(ptr, "items"), "a list of items (draft-7 tuples): use prefixItems"
            )
        prefix = node.get("prefixItems", [])
        low = int(node.get("minItems", 0))
        high = node.get("maxItems")
        high = low + MAX_COLLECTION if high is None else int(high)
        unique = bool(node.get("uniqueItems", False))
        head = [self.compile(s, child(ptr, "prefixItems", i)) for i, s in enumerate(prefix)]
        element = self.compile(items, child(ptr, "items"))
        by = canonical if unique else None
        if items is False:  # nothing past the prefix
            if low > len(head):
                return st.nothing()
            high = min(high, len(head))
        if not head:
            return st.lists(element, min_size=low, max_size=high, unique_by=by)
        tail_high = max(0, high - len(head))
        tail = st.lists(
            element, min_size=min(max(0, low - len(head)), tail_high), max_size=tail_high
        )
        whole = st.tuples(st.tuples(*head), tail).map(lambda pair: [*pair[0], *pair[1]])
        return whole.filter(self.is_valid(node))

    def _object(self, node: Mapping[str, Any], ptr: str) -> Strategy:
        props: Mapping[str, Schema] = node.get("properties", {})
        required = list(dict.fromkeys(node.get("required", [])))
        extra = node.get("additionalProperties")
        for key in required:
            if key not in props and extra is False:
                raise SchemaNotSupported(
                    child(ptr, "required"),
                    f"required key {key!r} is forbidden by additionalProperties false",
                )
        compiled = {key: self.compile(s, child(ptr, "properties", key)) for key, s in props.items()}
        extra_strategy = (
            any_json()
            if extra is None or extra is True
            else self.compile(extra, child(ptr, "additionalProperties"))
        )
        fixed = {key: compiled.get(key, extra_strategy) for key in required}
        optional = {key: s for key, s in compiled.items() if key not in fixed}
        strategy: Strategy = st.fixed_dictionaries(fixed, optional=optional)
        if extra is not False and (extra is not None or self.extra_properties):
            names = st.text(max_size=12).filter(lambda k: k not in props)
            extras = st.dictionaries(
                names, extra_strategy, max_size=2 if extra is None else MAX_COLLECTION
            )
            strategy = st.tuples(strategy, extras).map(lambda pair: {**pair[1], **pair[0]})
        if {"minProperties", "maxProperties", "dependentRequired"} & set(node):
            strategy = strategy.filter(self.is_valid(node))
        return strategy


def _merge(a: Mapping[str, Any], b: Mapping[str, Any], ptr: str) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        if key not in out or key in ANNOTATIONS:
            out.setdefault(key, value)
            continue
        mine = out[key]
        if mine == value:
            continue
        if key == "properties":
            out[key] = {**mine, **value}
            for name in set(mine) & set(value):
                out[key][name] = {"allOf": [mine[name], value[name]]}
        elif key == "required":
            out[key] = list(dict.fromkeys([*mine, *value]))
        elif key == "type":
            left = [mine] if isinstance(mine, str) else list(mine)
            right = [value] if isinstance(value, str) else list(value)
            both = [t for t in left if t in right]
            if ("number" in left and "integer" in right) or (
                "integer" in left and "number" in right
            ):
                both.append("integer")
            if not both:
                raise SchemaNotSupported(ptr, f"allOf: types {mine!r} and {value!r} never overlap")
            out[key] = list(dict.fromkeys(both))
        elif key in ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"):
            out[key] = max(mine, value)
        elif key in ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"):
            out[key] = min(mine, value)
        elif key == "enum":
            out[key] = [v for v in mine if v in value]
        elif key in ("items", "additionalProperties"):
            out[key] = False if False in (mine, value) else {"allOf": [mine, value]}
        elif key == "uniqueItems":
            out[key] = bool(mine or value)
        else:
            raise SchemaNotSupported(ptr, f"allOf: cannot combine two different {key!r}")
    return out


def compile_schema(schema: Schema, *, extra_properties: bool = False) -> Strategy:
    """A strategy of values `schema` admits; raises SchemaNotSupported up front."""
    return Compiler(schema, extra_properties=extra_properties).compile(schema, "")


def valid_arguments(
    tool: Mapping[str, Any], *, extra_properties: bool = False
) -> st.SearchStrategy[dict[str, Any]]:
    """Argument objects the tool's `parameters` schema admits.

    `tool` is a function definition (`{"name", "parameters", ...}`) or the
    wrapped `{"type": "function", "function": {...}}`. Undeclared keys are
    generated where `additionalProperties` is an explicit schema or `true`,
    and also where it is absent when `extra_properties=True` (JSON Schema
    admits them there, models rarely send them).
    """
    return compile_schema(tool_parameters(tool), extra_properties=extra_properties)
