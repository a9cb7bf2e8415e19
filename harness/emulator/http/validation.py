"""Request checking against the spec's schemas, with the real API's error wording.

The schemas are `harness.api`'s (extracted from OpenAI's MIT-licensed
OpenAPI spec). A request body that breaks its operation's schema
gets a 400 whose message reads like the real one ("Unrecognized request
argument supplied: foo", "Invalid type for 'name': expected a string, but got
an integer instead.", ...). `check_instance` is also what the test suite
uses to check every response.
"""

from __future__ import annotations

import contextlib
import copy
import functools
from typing import Any

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from harness.api import operation as find_operation
from harness.api.schemas import component_validator, document, operation_validator
from harness.emulator.errors import bad_request
from harness.emulator.http.body_shapes import NONE, Shapes, shapes_for

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a decimal",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def param_path(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _supported(values: list[Any]) -> str:
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def _leaf(error: ValidationError) -> ValidationError | tuple[str, str | None, str | None]:
    """The violation worth reporting inside anyOf/oneOf unions.

    For tagged unions (objects with a `type` enum per branch) the branch whose
    tag matches decides; when no tag matches, the tag itself is the error.
    For "X or null" unions the X branch decides.
    """
    while error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        instance = error.instance
        if isinstance(instance, dict) and "type" in instance:

            def tag_error(errs: list[ValidationError]) -> bool:
                return any(
                    list(e.relative_path) == ["type"] and e.validator in ("enum", "const")
                    for e in errs
                )

            tagged = [errs for errs in branches.values() if tag_error(errs)]
            untagged = [errs for errs in branches.values() if not tag_error(errs)]
            if tagged and not untagged:
                values = [
                    v
                    for errs in tagged
                    for e in errs
                    if list(e.relative_path) == ["type"]
                    for v in (e.validator_value if e.validator == "enum" else [e.validator_value])
                ]
                param = param_path([*error.absolute_path, "type"])
                return (
                    f"Invalid value: '{instance['type']}'. "
                    f"Supported values are: {_supported(values)}.",
                    param,
                    "invalid_value",
                )
            if tagged and len(untagged) == 1:
                error = best_match(untagged[0])
                continue
        useful = [e for e in error.context if e.validator != "type" or e.validator_value != "null"]
        error = best_match(useful or error.context)
    return error


def explain(error: ValidationError) -> tuple[str, str | None, str | None]:
    """Message, param and code for one schema violation, in the real API's words."""
    leaf = _leaf(error)
    if isinstance(leaf, tuple):
        return leaf
    error = leaf
    param = param_path(error.absolute_path) or None
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "required":
        missing = next(k for k in value if k not in instance)
        name = f"{param}.{missing}" if param else missing
        return f"Missing required parameter: '{name}'.", name, "missing_required_parameter"
    if kind == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in instance if k not in allowed)[0]
        if param is None:
            return f"Unrecognized request argument supplied: {extra}", None, None
        return f"Unknown parameter: '{param}.{extra}'.", f"{param}.{extra}", "unknown_parameter"
    if kind == "type":
        expected = value if isinstance(value, str) else value[0]
        return (
            f"Invalid type for '{param}': expected {_TYPE_NAMES.get(expected, expected)},"
            f" but got {_describe(instance)} instead.",
            param,
            "invalid_type",
        )
    if kind in ("enum", "const"):
        values = value if kind == "enum" else [value]
        return (
            f"Invalid value: '{instance}'. Supported values are: {_supported(values)}.",
            param,
            "invalid_value",
        )
    if kind in ("maxLength", "minLength"):
        word, bound = ("long", "maximum") if kind == "maxLength" else ("short", "minimum")
        code = "string_above_max_length" if kind == "maxLength" else "string_below_min_length"
        return (
            f"Invalid '{param}': string too {word}. Expected a string with {bound} length "
            f"{value}, but got a string with length {len(instance)} instead.",
            param,
            code,
        )
    if kind in ("maxItems", "minItems"):
        word, bound = ("long", "maximum") if kind == "maxItems" else ("short", "minimum")
        code = "array_above_max_length" if kind == "maxItems" else "array_below_min_length"
        return (
            f"Invalid '{param}': array too {word}. Expected an array with {bound} length "
            f"{value}, but got an array with length {len(instance)} instead.",
            param,
            code,
        )
    if kind in ("maximum", "minimum"):
        number = "integer" if error.schema.get("type") == "integer" else "decimal"
        above = kind == "maximum"
        return (
            f"Invalid '{param}': {number} {'above maximum' if above else 'below minimum'} value. "
            f"Expected a value {'<=' if above else '>='} {value}, but got {instance} instead.",
            param,
            f"{number}_{'above_max' if above else 'below_min'}_value",
        )
    return f"Invalid value for '{param}'.", param, "invalid_value"


def check_body(operation: str, body: Any) -> None:
    """Raise a 400 ApiError when `body` breaks the operation's request schema."""
    if not isinstance(body, dict):
        raise bad_request(
            "Invalid type for request body: expected an object, "
            f"but got {_describe(body)} instead.",
            code="invalid_type",
        )
    validator = _request_validator(operation)
    if validator is None:
        return
    if find_operation(operation).api == "responses":
        # The Responses API takes an explicit null as the parameter left out.
        body = {k: v for k, v in body.items() if v is not None}
        known = _top_properties(operation)
        extra = sorted(k for k in body if known and k not in known)
        if extra:
            raise bad_request(
                f"Unknown parameter: '{extra[0]}'.", param=extra[0], code="unknown_parameter"
            )
    key = _cache_key(operation, _shapes(operation).of(body))
    if key is not None and key in _VALID:
        return
    error = best_match(validator.iter_errors(body))
    if error is not None:
        message, param, code = explain(error)
        raise bad_request(message, param=param, code=code)
    if key is not None:
        if len(_VALID) >= _VALID_KEPT:
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):
                _VALID.pop(next(iter(_VALID)))  # emulators in other threads share it
        _VALID[key] = None


# The shapes of bodies found valid (`body_shapes.py`), most recent last: checking is
# deterministic, and apps send bodies of the same few shapes again and again (another
# text, another id), which then skip the schema walk.
_VALID: dict[bytes, None] = {}
_VALID_KEPT = 512
_VALID_MAX_BYTES = 4096


def _cache_key(operation: str, body: dict[str, Any]) -> bytes | None:
    try:
        raw = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return None
    if len(raw) > _VALID_MAX_BYTES:
        return None
    return operation.encode() + b" " + raw


def check_instance(value: Any, schema_name: str) -> list[str]:
    """Schema violations of `value` as readable lines (empty when valid)."""
    validator = component_validator(schema_name)
    return [
        f"{param_path(e.absolute_path) or '<root>'}: {e.message[:300]}"
        for e in validator.iter_errors(value)
    ]


def _nullable(schema: Any) -> bool:
    return isinstance(schema, dict) and any(
        isinstance(branch, dict) and branch.get("type") == "null"
        for branch in schema.get("anyOf") or schema.get("oneOf") or []
    )


@functools.cache
def _shapes(operation: str) -> Shapes:
    schema = document()["operations"][operation]["request"]
    if schema is None:
        return NONE
    relaxed = find_operation(operation).api == "responses"
    components = _relaxed_components() if relaxed else document()["components"]
    return shapes_for(schema, components["schemas"])


@functools.cache
def _relaxed_components() -> dict[str, Any]:
    """The spec's components as the Responses API checks requests: every nullable property
    optional (its schemas share one model between requests and responses, so `strict` and
    `parameters` of a function tool read as required, though the API accepts them left out),
    and unions taken as any-of (a message item with content parts is both an easy input
    message and an input message)."""
    components: dict[str, Any] = copy.deepcopy(document()["components"])

    def relax(node: Any) -> None:
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict) and isinstance(node.get("required"), list):
                node["required"] = [k for k in node["required"] if not _nullable(props.get(k))]
            if "oneOf" in node:
                node["anyOf"] = node.pop("oneOf")
            for child in node.values():
                relax(child)
        elif isinstance(node, list):
            for child in node:
                relax(child)

    relax(components)
    return components


@functools.cache
def _request_validator(operation: str) -> Draft202012Validator | None:
    if find_operation(operation).api != "responses":
        return operation_validator(operation, "request")
    schema = document()["operations"][operation]["request"]
    if schema is None:
        return None
    return Draft202012Validator({"components": _relaxed_components(), **schema})


@functools.cache
def _top_properties(operation: str) -> frozenset[str]:
    """The parameters an operation's request body names (through `$ref`s and `allOf`)."""
    components = document()["components"]["schemas"]
    names: set[str] = set()

    def collect(node: Any) -> None:
        if not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if isinstance(ref, str):
            collect(components.get(ref.rsplit("/", 1)[-1]))
        names.update(node.get("properties") or {})
        for part in node.get("allOf") or []:
            collect(part)

    collect(document()["operations"][operation]["request"])
    return frozenset(names)
