"""The JSON Schemas of the API's requests, responses and stream events (from `schemas.json`)."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator


@functools.cache
def document() -> dict[str, Any]:
    """`{"operations": {name: {"request", "response"}}, "components": {"schemas": ...}}`."""
    text = resources.files("harness.api").joinpath("schemas.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def with_components(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for `schema`, whose `$ref`s point into the components."""
    return Draft202012Validator({"components": document()["components"], **schema})


@functools.cache
def component_validator(name: str) -> Draft202012Validator:
    """A validator for `#/components/schemas/<name>`."""
    return with_components({"$ref": f"#/components/schemas/{name}"})


@functools.cache
def operation_validator(operation: str, part: str) -> Draft202012Validator | None:
    """A validator for an operation's `request` or `response` body, if the spec gives one."""
    schema = document()["operations"][operation][part]
    return with_components(schema) if schema is not None else None
