"""How a request is matched to a recorded one, and why it was not.

A request's key is its method, its path relative to the API base, its query
(parameter order and `name[]` bracket spelling ignored) and its body compared
as data: JSON canonicalised, multipart parts by name, file name and hash.
Headers never take part. A key is hashable, so lookup is a dict access.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from harness import api
from harness.cassette.credentials import REDACTED, is_credential_name
from harness.cassette.model import Request
from harness.cassette.redact import Redactor

MatchKey = tuple[str, str, tuple[tuple[str, str], ...], bytes]
KeyFunction = Callable[[Request], MatchKey]


_SAFE = Redactor()  # for error messages: they must not print what a cassette may not hold


def request_key(request: Request) -> MatchKey:
    if not request.query:  # most requests: every one of a cassette is keyed at load
        return (request.method, request.path, (), body_key(request))
    # Secret query values are stored redacted, so they cannot take part.
    query = tuple(
        sorted(
            (name.removesuffix("[]"), REDACTED if is_credential_name(name, query=True) else value)
            for name, value in request.query
        )
    )
    return (request.method, request.path, query, body_key(request))


def body_key(request: Request) -> bytes:
    if request.body is not None:
        return orjson.dumps(request.body, option=orjson.OPT_SORT_KEYS)
    if request.multipart is not None:
        parts = sorted(
            request.multipart, key=lambda p: (p.get("name") or "", p.get("filename") or "")
        )
        return b"multipart:" + orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)
    if request.text is not None:
        return b"text:" + request.text.encode()
    return b""


def describe(request: Request) -> str:
    request = _SAFE.request(request)
    query = "&".join(f"{k}={v}" for k, v in request.query)
    return f"{request.method} {request.path}{'?' + query if query else ''}"


def explain_miss(request: Request, recorded: Iterable[Request], limit: int = 3) -> str:
    """The nearest recorded requests of the same operation, each with a diff."""
    unique = {request_key(r): r for r in recorded}.values()
    if not unique:
        return "The cassette holds no requests."
    operation = _operation(request)
    same = [r for r in unique if _operation(r) == operation]
    if not same:
        held = sorted({_operation(r) or describe(r) for r in unique})
        return f"The cassette holds no {operation or 'such'} request; it holds: {', '.join(held)}."
    ranked = sorted(same, key=lambda r: _distance(request, r))[:limit]
    lines = ["Nearest recorded requests:"]
    for number, candidate in enumerate(ranked, 1):
        lines.append(f"  {number}. {describe(candidate)}")
        diff = list(
            difflib.unified_diff(
                _lines(candidate), _lines(request), "recorded", "sent", n=1, lineterm=""
            )
        )
        lines.extend("       " + line for line in diff[2:] or ["(same key once normalized)"])
        version = _api_version_change(candidate, request)
        if version:
            lines.append("       " + version)
    return "\n".join(lines)


def _operation(request: Request) -> str | None:
    found = api.match(request.method, request.path)
    return found.name if found is not None else None


def _api_version_change(recorded: Request, sent: Request) -> str:
    """Azure's `api-version` takes part in matching: it changes what the server does."""
    old = dict(recorded.query).get("api-version")
    new = dict(sent.query).get("api-version")
    if old == new:
        return ""
    return (
        f"(api-version differs: recorded {old!r}, sent {new!r}; it selects the server's "
        "behaviour, so it is matched)"
    )


def _distance(a: Request, b: Request) -> tuple[int, float, float]:
    path = difflib.SequenceMatcher(None, a.path, b.path).ratio()
    body = difflib.SequenceMatcher(None, body_key(a), body_key(b)).quick_ratio()
    return (a.method != b.method, -path, -body)


def _lines(request: Request) -> list[str]:
    request = _SAFE.request(request)
    data: dict[str, Any] = {"method": request.method, "path": request.path}
    if request.query:
        data["query"] = sorted(request.query)
    for name in ("body", "multipart", "text"):
        value = getattr(request, name)
        if value is not None:
            data[name] = value
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    return text.splitlines()
