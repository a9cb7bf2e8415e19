"""Request checking against the spec's schemas, with the real API's error wording.

The schemas are `harness.api`'s (extracted from OpenAI's MIT-licensed
OpenAPI spec). A request body that breaks its operation's schema
gets a 400 whose message reads like the real one ("Unrecognized request
argument supplied: foo", "Invalid type for 'name': expected a string, but got
an integer instead.", ...). `check_instance` is also what the test suite
uses to check every response.
"""

from __future__ import annotations

from typing import Any

from jsonschema.exceptions import ValidationError, best_match

from harness.api.schemas import component_validator, operation_validator
from harness.emulator.errors import bad_request

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
    validator = operation_validator(operation, "request")
    if validator is None:
        return
    error = best_match(validator.iter_errors(body))
    if error is not None:
        message, param, code = explain(error)
        raise bad_request(message, param=param, code=code)


def check_instance(value: Any, schema_name: str) -> list[str]:
    """Schema violations of `value` as readable lines (empty when valid)."""
    validator = component_validator(schema_name)
    return [
        f"{param_path(e.absolute_path) or '<root>'}: {e.message[:300]}"
        for e in validator.iter_errors(value)
    ]
