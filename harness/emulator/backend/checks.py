"""Limits of the API that the JSON schemas do not express, with the real API's wording."""

from __future__ import annotations

from typing import Any

from harness.emulator.backend.store import Obj
from harness.emulator.errors import bad_request

MAX_CONTENT_CHARS = 256_000


def check_metadata(metadata: Any, param: str = "metadata") -> Obj:
    """Metadata limits: 16 pairs, keys up to 64 characters, values up to 512."""
    if metadata is None:
        return {}
    if len(metadata) > 16:
        raise bad_request(
            f"Invalid '{param}': too many properties. Expected an object with at most 16 "
            f"properties, but got {len(metadata)} instead.",
            param=param,
            code="object_above_max_properties",
        )
    for key, value in metadata.items():
        if len(key) > 64:
            raise bad_request(
                f"Invalid '{param}': key too long. Expected a key with maximum length 64, "
                f"but got a key with length {len(key)} instead.",
                param=f"{param}.{key}",
                code="string_above_max_length",
            )
        if len(value) > 512:
            raise bad_request(
                f"Invalid '{param}.{key}': string too long. Expected a string with maximum "
                f"length 512, but got a string with length {len(value)} instead.",
                param=f"{param}.{key}",
                code="string_above_max_length",
            )
    return dict(metadata)


def check_content(content: str | list[Obj], param: str) -> None:
    """A message's text is at most 256,000 characters."""
    size = (
        len(content) if isinstance(content, str) else sum(len(p.get("text", "")) for p in content)
    )
    if size > MAX_CONTENT_CHARS:
        raise bad_request(
            f"Invalid '{param}': string too long. Expected a string with maximum length "
            f"{MAX_CONTENT_CHARS}, but got a string with length {size} instead.",
            param=param,
            code="string_above_max_length",
        )
