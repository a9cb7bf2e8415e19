"""One deterministic valid value per schema node, rich enough to reach every constraint:
every declared property present, every array holding an item, the `then` side of a
conditional taken. Near-misses are one edit away from it (`harness.fuzz.near_miss`)."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping
from typing import Any

import hypothesis
from hypothesis import Phase
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from harness.formats import EXAMPLES
from harness.fuzz._schema import (
    JSON_TYPES,
    JSONValue,
    Schema,
    SchemaNotSupported,
    resolve_ref,
    types_of,
)
from harness.fuzz.strategies import Compiler

MAX_DEPTH = 4
"""Below this many `$ref` hops only required properties are filled (recursive schemas end)."""

_FIND = hypothesis.settings(
    database=None,
    derandomize=True,
    deadline=None,
    max_examples=200,
    phases=(Phase.generate, Phase.shrink),
    suppress_health_check=list(hypothesis.HealthCheck),
)


class NoExemplar(Exception):
    """No valid value was found for a node (the caller falls back or skips it)."""


def _first(strategy: st.SearchStrategy[Any], avoid: list[Any]) -> Any:
    """The simplest value of `strategy` not in `avoid` (Hypothesis's shrinker finds it)."""
    try:
        return hypothesis.find(strategy, lambda v: v not in avoid, settings=_FIND)
    except (HypothesisException, SchemaNotSupported) as exc:
        raise NoExemplar(str(exc)) from None


class Exemplars:
    """Builds exemplars for one root schema; variant `k` differs from variants below `k`
    where the schema leaves room (so arrays can hold distinct items)."""

    def __init__(self, compiler: Compiler) -> None:
        self.compiler = compiler
        self._strings: dict[tuple[str, int, int | None], list[str]] = {}

    def of(self, node: Schema, variant: int = 0, depth: int = 0) -> JSONValue:
        is_valid = self.compiler.is_valid(node)
        for lean in (False, True):
            try:
                value = self._build(node, variant, depth, lean)
            except (NoExemplar, SchemaNotSupported):
                continue
            if is_valid(value):
                return value
        # a combination the builder does not see through: the simplest valid value
        return _first(self.compiler.compile(node, ""), [])

    def candidates(self, node: Schema) -> Iterator[JSONValue]:
        """Valid values of `node`: the rich exemplar, then the lean one (required only)."""
        is_valid = self.compiler.is_valid(node)
        for lean in (False, True):
            try:
                value = self._build(node, 0, 0, lean)
            except (NoExemplar, SchemaNotSupported):
                continue
            if is_valid(value):
                yield value

    def _build(self, node: Schema, variant: int, depth: int, lean: bool = False) -> JSONValue:
        if node is True or node == {}:
            return f"value{variant}" if variant else "value"
        if not isinstance(node, Mapping):
            raise NoExemplar("false schema")
        if "$ref" in node:
            return self._ref(node, variant, depth, lean)
        if "allOf" in node:
            return self._build(self.compiler.merge_all_of(node, ""), variant, depth, lean)
        for key in ("anyOf", "oneOf"):
            if key in node:
                return self._union(node, key, variant, depth, lean)
        if "if" in node:
            return self._conditional(node, variant, depth, lean)
        if "const" in node:
            return node["const"]
        if "enum" in node:
            choices = [v for v in node["enum"] if self.compiler.is_valid(node)(v)]
            if not choices:
                raise NoExemplar("no enum value fits")
            return choices[variant % len(choices)]
        declared = types_of(node) or self.compiler._infer_types(node)
        kinds = [t for t in declared if t != "null"] or ["null"]
        kind = kinds[0] if kinds[0] in JSON_TYPES else "null"
        return getattr(self, "_" + kind)(node, variant, depth, lean)

    def _ref(self, node: Mapping[str, Any], variant: int, depth: int, lean: bool) -> JSONValue:
        target, _ = resolve_ref(self.compiler.root, node["$ref"], "")
        rest = {k: v for k, v in node.items() if k != "$ref"}
        if rest:
            target = self.compiler.merge_all_of({"allOf": [target, rest]}, "")
        return self._build(target, variant, depth + 1, lean)

    def _union(
        self, node: Mapping[str, Any], key: str, variant: int, depth: int, lean: bool
    ) -> JSONValue:
        # a branch with every optional property may match two branches: then a lean one
        for branch in self.branches(node, key):
            for thin in dict.fromkeys((lean, True)):
                try:
                    value = self._build(branch, variant, depth, thin)
                except (NoExemplar, SchemaNotSupported):
                    continue
                if self.compiler.is_valid(node)(value):
                    return value
        raise NoExemplar(f"no {key} branch gives a value")

    def branches(self, node: Mapping[str, Any], key: str) -> list[Schema]:
        """The union's branches with the node's other keywords folded into each."""
        rest = {k: v for k, v in node.items() if k != key}
        out = []
        for branch in node[key]:
            try:
                out.append(
                    self.compiler.merge_all_of({"allOf": [rest, branch]}, "") if rest else branch
                )
            except SchemaNotSupported:
                continue
        return out

    def _conditional(
        self, node: Mapping[str, Any], variant: int, depth: int, lean: bool
    ) -> JSONValue:
        rest = {k: v for k, v in node.items() if k not in ("if", "then", "else")}
        tries: list[Schema] = []
        if isinstance(node["if"], Mapping):
            with_then = [rest, node["if"], node.get("then", True)]
            with contextlib.suppress(SchemaNotSupported):
                tries.append(self.compiler.merge_all_of({"allOf": with_then}, ""))
        tries.append(rest)
        for schema in tries:
            try:
                value = self._build(schema, variant, depth, lean)
            except (NoExemplar, SchemaNotSupported):
                continue
            if self.compiler.is_valid(node)(value):
                return value
        raise NoExemplar("no value meets the conditional")

    # ---- per type ---------------------------------------------------------------

    def _null(self, node: Mapping[str, Any], variant: int, depth: int, lean: bool) -> JSONValue:
        return None

    def _boolean(self, node: Mapping[str, Any], variant: int, depth: int, lean: bool) -> JSONValue:
        return variant % 2 == 0

    def _string(self, node: Mapping[str, Any], variant: int, depth: int, lean: bool) -> JSONValue:
        low = int(node.get("minLength", 0))
        high = node.get("maxLength")
        if "pattern" in node:
            key = (str(node["pattern"]), low, high)
            found = self._strings.setdefault(key, [])
            while len(found) <= variant:
                found.append(_first(self.compiler.compile(node, ""), list(found)))
            return found[variant]
        fmt = node.get("format")
        if isinstance(fmt, str) and fmt in EXAMPLES and variant == 0:
            return EXAMPLES[fmt]
        if isinstance(fmt, str) and fmt in EXAMPLES:
            return _first(self.compiler.compile(node, ""), [EXAMPLES[fmt]])
        text = f"text{variant}" if variant else "text"
        if len(text) < low:
            text += "x" * (low - len(text))
        if high is not None and len(text) > int(high):
            text = text[-int(high) :] if high else ""
        return text

    def _integer(self, node: Mapping[str, Any], variant: int, depth: int, lean: bool) -> JSONValue:
        lo, hi = self.compiler._integer_range(node, "")
        start = lo if lo is not None else (min(hi, 1) if hi is not None else 1)
        step = node.get("multipleOf")
        if isinstance(step, (int, float)) and float(step).is_integer() and step > 0:
            m = int(step)
            start = -((-start) // m) * m
            value = start + variant * m
        else:
            value = start + variant
        if hi is not None and value > hi:
            value = hi
        return value

    def _number(self, node: Mapping[str, Any], variant: int, depth: int, lean: bool) -> JSONValue:
        step = node.get("multipleOf")
        low, high, open_low, _open_high = self.compiler._bounds(node, "")
        if isinstance(step, (int, float)) and step > 0:
            base = 0.0 if low is None else math.ceil(low / step) * step
            if open_low and low is not None and base <= low:
                base += step
            value: float = base + variant * step
        elif low is not None:
            value = (low + 1 if open_low else low) + variant
        elif high is not None:
            value = min(high - 1, 1.5) - variant
        else:
            value = 1.5 + variant
        if high is not None and value > high:
            value = high
        return int(value) if float(value).is_integer() and step is None else value

    def _array(self, node: Mapping[str, Any], variant: int, depth: int, lean: bool) -> JSONValue:
        prefix = node.get("prefixItems", [])
        low = int(node.get("minItems", 0))
        high = node.get("maxItems")
        count = max(low, len(prefix), 1)
        if high is not None:
            count = min(count, int(high))
        items = node.get("items", True)
        out = [self._build(s, variant, depth, lean) for s in prefix[:count]]
        for index in range(count - len(out)):
            if items is False:
                break
            out.append(self._build(items, variant + index, depth, lean))
        return out

    def _object(self, node: Mapping[str, Any], variant: int, depth: int, lean: bool) -> JSONValue:
        props: Mapping[str, Schema] = node.get("properties", {})
        required = list(node.get("required", []))
        full = depth < MAX_DEPTH and not lean
        keys = list(props) if full else [k for k in props if k in required]
        out = {key: self._build(props[key], variant, depth) for key in keys}
        extra = node.get("additionalProperties", True)
        for key in required:
            if key not in out:
                out[key] = self._build(extra if extra is not False else True, variant, depth, lean)
        return out
