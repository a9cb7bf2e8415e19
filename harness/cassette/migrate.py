"""Foreign cassettes brought into our model: vcrpy / pytest-recording files.

A vcrpy cassette (`version: 1`, `interactions` of `request.uri` and
`response.body.string`) keeps bodies as escaped strings and full URLs. Here
each exchange goes through the same translation and redaction as a live
recording: the API base path (`/v1`, Azure's `/openai`) is cut off, JSON
bodies and SSE streams are parsed, credential headers are dropped.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from harness.api.constants import API_PATH
from harness.cassette.model import Cassette, Interaction
from harness.cassette.redact import Redactor
from harness.cassette.wire import request_from_http, response_from_vcr
from harness.errors import CassetteFormatError

VCRPY_VERSION = 1
# The first path segment of an OpenAI resource; what precedes it is the base path.
_RESOURCE = re.compile(
    r"/(?:assistants|threads|files|vector_stores|uploads|batches|models|chat|completions|"
    r"responses|embeddings|audio|images|moderations|fine_tuning|_emulator)(?:/|$)"
)


def from_vcrpy(data: dict[str, Any], source: str) -> Cassette:
    """Convert a parsed vcrpy cassette; errors name `source` and the interaction."""
    version = data.get("version")
    if version != VCRPY_VERSION:
        raise CassetteFormatError(
            f"{source}: vcrpy cassette version {version!r} is not supported "
            f"(only version {VCRPY_VERSION}); re-record it with `pytest --record`"
        )
    items = data.get("interactions")
    if not isinstance(items, list):
        raise CassetteFormatError(f"{source}: vcrpy field 'interactions' must be a list")
    redactor = Redactor()
    base_path: str | None = None
    interactions: list[Interaction] = []
    for number, item in enumerate(items, 1):
        where = f"{source}: vcrpy interaction {number}"
        request, response = _parts(item, where)
        try:
            if base_path is None:
                base_path = _base_path(urlsplit(request["uri"]).path)
            ours = request_from_http(
                request["method"],
                request["uri"],
                _headers(request.get("headers"), where, "request"),
                _bytes(request.get("body")),
                base_path,
            )
            answer = response_from_vcr(
                {
                    "status": response["status"],
                    "headers": _headers(response.get("headers"), where, "response"),
                    "body": {"string": _bytes(response["body"].get("string"))},
                }
            )
        except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
            raise CassetteFormatError(f"{where}: cannot be read ({exc!r})") from None
        interactions.append(redactor.interaction(Interaction(ours, answer)))
    meta = {"migrated_from": "vcrpy", "base_path": base_path or ""}
    return Cassette(meta=meta, interactions=interactions)


def _parts(item: Any, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(item, dict):
        raise CassetteFormatError(f"{where}: expected a mapping")
    request, response = item.get("request"), item.get("response")
    if not isinstance(request, dict):
        raise CassetteFormatError(f"{where}: missing or invalid field 'request'")
    for name in ("method", "uri"):
        if not isinstance(request.get(name), str):
            raise CassetteFormatError(f"{where}: missing or invalid field 'request.{name}'")
    if not isinstance(response, dict):
        raise CassetteFormatError(f"{where}: missing or invalid field 'response'")
    status = response.get("status")
    if not isinstance(status, dict) or type(status.get("code")) is not int:
        raise CassetteFormatError(f"{where}: missing or invalid field 'response.status.code'")
    if not isinstance(response.get("body"), dict):
        raise CassetteFormatError(f"{where}: missing or invalid field 'response.body'")
    return request, response


def _base_path(path: str) -> str:
    match = _RESOURCE.search(path)
    if match is not None:
        return path[: match.start()].rstrip("/")
    return API_PATH if path == API_PATH or path.startswith(API_PATH + "/") else ""


def _headers(value: Any, where: str, part: str) -> dict[str, list[str]]:
    """vcrpy headers as `name -> [values]` (it writes lists; hand edits may not)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CassetteFormatError(f"{where}: {part} field 'headers' must be a mapping")
    return {
        str(name): [str(v) for v in (values if isinstance(values, list) else [values])]
        for name, values in value.items()
    }


def _bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError(f"body must be a string or bytes, got {type(value).__name__}")
