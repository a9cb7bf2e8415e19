"""Lint of function-tool schemas for what the API's strict mode demands.

Findings are errors when the tool sets `strict: true` (the API would refuse
the schema or the model could not follow it) and advice otherwise (what to
change before turning strict mode on). Keywords this fuzzer cannot generate
from are reported as errors either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from harness.fuzz._schema import (
    ANNOTATIONS,
    Schema,
    SchemaNotSupported,
    child,
    tool_is_strict,
    tool_name,
    tool_parameters,
)
from harness.fuzz.strategies import compile_schema

Severity = Literal["error", "advice"]

STRICT_KEYWORDS = (
    frozenset(
        {
            "type",
            "properties",
            "required",
            "additionalProperties",
            "items",
            "enum",
            "const",
            "anyOf",
            "$ref",
            "pattern",
            "format",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
            "minItems",
            "maxItems",
        }
    )
    | ANNOTATIONS
)
"""Keywords strict mode accepts, as OpenAI documented Structured Outputs (one place to update)."""

STRICT_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
MAX_DEPTH = 10
"""Strict mode's limit on object nesting."""


@dataclass(frozen=True)
class LintFinding:
    tool: str
    pointer: str
    """JSON pointer into the tool's `parameters`."""
    code: str
    message: str
    severity: Severity

    def __str__(self) -> str:
        return f"{self.tool}: {self.pointer}: {self.severity} [{self.code}]: {self.message}"


def _subschemas(node: Mapping[str, Any], ptr: str) -> Iterator[tuple[Schema, str, str]]:
    for key in ("properties", "$defs", "definitions"):
        for name, sub in (node.get(key) or {}).items():
            yield sub, child(ptr, key, name), key
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), Mapping):
            yield node[key], child(ptr, key), key
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for index, sub in enumerate(node.get(key) or ()):
            yield sub, child(ptr, key, index), key


def _is_object(node: Mapping[str, Any]) -> bool:
    declared = node.get("type")
    types = [declared] if isinstance(declared, str) else list(declared or ())
    return "object" in types or (declared is None and "properties" in node)


def _strict_findings(node: Schema, ptr: str, depth: int) -> Iterator[tuple[str, str, str]]:
    if not isinstance(node, Mapping):
        return
    for key in node:
        if key not in STRICT_KEYWORDS and not key.startswith("x-"):
            yield child(ptr, key), "keyword", f"keyword {key!r} is not supported in strict mode"
    fmt = node.get("format")
    if fmt is not None and fmt not in STRICT_FORMATS:
        yield child(ptr, "format"), "format", f"format {fmt!r} is not supported in strict mode"
    if _is_object(node):
        if depth == MAX_DEPTH + 1:  # once, at the first object too deep
            yield ptr or "/", "depth", f"objects nest deeper than {MAX_DEPTH} levels"
        if node.get("additionalProperties") is not False:
            yield ptr or "/", "additional-properties", "set additionalProperties: false"
        required = set(node.get("required") or ())
        for name in node.get("properties") or {}:
            if name not in required:
                yield (
                    child(ptr, "properties", name),
                    "not-required",
                    f"property {name!r} must be in required; allow null for an optional one "
                    "(type [..., 'null'])",
                )
    for sub, where, key in _subschemas(node, ptr):
        yield from _strict_findings(sub, where, depth + 1 if key == "properties" else depth)


def lint_tool(tool: Mapping[str, Any]) -> list[LintFinding]:
    """Findings for one tool (a function definition or its wrapped form)."""
    name, strict = tool_name(tool), tool_is_strict(tool)
    severity: Severity = "error" if strict else "advice"
    params = tool_parameters(tool)
    findings: list[LintFinding] = []
    if not isinstance(params, Mapping) or params.get("type") != "object":
        findings.append(
            LintFinding(name, "/", "root", "parameters must be a schema of type 'object'", severity)
        )
    elif "anyOf" in params:
        findings.append(
            LintFinding(name, "/anyOf", "root", "the root schema cannot be anyOf", severity)
        )
    for pointer, code, message in _strict_findings(params, "", 1):
        findings.append(LintFinding(name, pointer, code, message, severity))
    try:
        compile_schema(params)
    except SchemaNotSupported as exc:
        findings.append(
            LintFinding(
                name, exc.pointer, "fuzz", f"the fuzzer cannot use this: {exc.problem}", "error"
            )
        )
    return findings


def lint_tools(tools: list[Mapping[str, Any]]) -> list[LintFinding]:
    return [finding for tool in tools for finding in lint_tool(tool)]
