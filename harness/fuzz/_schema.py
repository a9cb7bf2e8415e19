"""Shared ground for the fuzz package: tool definitions, JSON pointers, `$ref`
resolution, keyword tables and validators for the JSON Schema subset that
function tools use (draft 2020-12 semantics; `definitions` is read too)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import jsonschema

from harness.errors import HarnessError
from harness.formats import format_checker

Schema = Any  # a JSON Schema: a mapping or a boolean
JSONValue = Any  # a value `json.loads` can return

ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "default",
        "examples",
        "$comment",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$schema",
        "$id",
        "$defs",
        "definitions",
    }
)
"""Keywords that never constrain a value (`$defs` only holds ref targets)."""

TYPE_KEYWORDS: Mapping[str, frozenset[str]] = {
    "null": frozenset(),
    "boolean": frozenset(),
    "string": frozenset({"minLength", "maxLength", "pattern", "format"}),
    "integer": frozenset(
        {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
    ),
    "number": frozenset(
        {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
    ),
    "array": frozenset({"items", "prefixItems", "minItems", "maxItems", "uniqueItems"}),
    "object": frozenset(
        {
            "properties",
            "required",
            "additionalProperties",
            "minProperties",
            "maxProperties",
            "dependentRequired",
        }
    ),
}
"""Per JSON type, the keywords the compiler understands."""

GENERIC_KEYWORDS = frozenset(
    {"type", "enum", "const", "anyOf", "oneOf", "allOf", "$ref", "if", "then", "else"}
)
SUPPORTED = GENERIC_KEYWORDS | ANNOTATIONS | frozenset().union(*TYPE_KEYWORDS.values())
JSON_TYPES = tuple(TYPE_KEYWORDS)


class SchemaNotSupported(HarnessError, ValueError):
    """A tool schema uses JSON Schema the fuzzer cannot turn into examples.

    The message starts with the JSON pointer of the offending place inside
    the tool's `parameters`, e.g. `/properties/x: keyword 'if' is not supported`.
    """

    def __init__(self, pointer: str, problem: str) -> None:
        self.pointer = pointer or "/"
        self.problem = problem
        super().__init__(f"{self.pointer}: {problem}")


def tool_function(tool: Mapping[str, Any]) -> dict[str, Any]:
    """The function definition (`name`, `parameters`, ...) of a tool.

    Accepts the definition itself or the wrapped `{"type": "function",
    "function": {...}}` form the API's `tools` list holds.
    """
    if not isinstance(tool, Mapping):
        raise TypeError(f"a tool must be a mapping, got {type(tool).__name__}")
    inner = tool.get("function")
    if isinstance(inner, Mapping) and ("type" not in tool or tool["type"] == "function"):
        return dict(inner)
    if "name" not in tool and "parameters" not in tool:
        raise ValueError("not a function tool: expected 'name' and 'parameters' or 'function'")
    return dict(tool)


def tool_name(tool: Mapping[str, Any]) -> str:
    return str(tool_function(tool).get("name", "<unnamed tool>"))


def tool_parameters(tool: Mapping[str, Any]) -> Schema:
    """The `parameters` schema; a tool without one takes an empty object."""
    params = tool_function(tool).get("parameters")
    if params is None:
        return {"type": "object", "properties": {}}
    return params


def tool_is_strict(tool: Mapping[str, Any]) -> bool:
    return bool(tool_function(tool).get("strict", False))


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def child(pointer: str, *tokens: str | int) -> str:
    return pointer + "".join("/" + escape(str(t)) for t in tokens)


def format_pointer(path: tuple[str | int, ...] | list[str | int]) -> str:
    """A JSON pointer for a path such as `jsonschema`'s `absolute_path`."""
    return child("", *path) or "/"


def resolve_ref(root: Schema, ref: str, where: str) -> tuple[Schema, str]:
    """The schema a local `$ref` points at, and its pointer."""
    if not ref.startswith("#"):
        raise SchemaNotSupported(where, f"$ref {ref!r}: only local references ('#/...') work")
    fragment = unquote(ref[1:])
    if fragment and not fragment.startswith("/"):
        raise SchemaNotSupported(where, f"$ref {ref!r}: anchors are not supported")
    node: Any = root
    for raw in fragment.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise SchemaNotSupported(where, f"$ref {ref!r} points at nothing")
    return node, fragment


def validator_for(root: Schema, *, formats: bool = False) -> jsonschema.protocols.Validator:
    """A validator of `root` (draft 2020-12 unless `$schema` says otherwise); with
    `formats`, `format` is asserted (as strict mode does), not only annotated."""
    cls = jsonschema.validators.validator_for(root, default=jsonschema.Draft202012Validator)
    if formats:
        return cls(root, format_checker=format_checker())
    return cls(root)


def types_of(node: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The declared types, or None when the schema does not say."""
    declared = node.get("type")
    if declared is None:
        return None
    if isinstance(declared, str):
        return (declared,)
    return tuple(declared)
