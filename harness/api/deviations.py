"""Reading what a server sent by its real shape, not by its label.

Servers that implement the Assistants API themselves deviate from it in ways the
conformance report (`harness.conformance`) names: a list labelled as some other
object, a text content given as a list of parts, timestamps in milliseconds,
errors as `{"detail": ...}`, plain text or an HTML page. Everything that reads
recorded answers (transcript, inspect, diff, parity, fault overlays, the
emulator taking over) reads them through these functions, so what the server
meant is read the way the API means it, and nothing is shown as a Python repr.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

MILLISECONDS = 10**11
"""Unix seconds stay below this until the year 5138; milliseconds are far above it."""


def is_list(obj: Any) -> bool:
    """A page of objects (`{"data": [...]}` without an id of its own), whatever its label."""
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("data"), list)
        and (obj.get("object") == "list" or "id" not in obj)
    )


def kind(obj: Any) -> str | None:
    """The object's kind: `list` for a page however labelled, else its `object`."""
    if is_list(obj):
        return "list"
    label = obj.get("object") if isinstance(obj, dict) else None
    return label if isinstance(label, str) else None


def is_deletion(obj: Any) -> bool:
    """A deletion answer (`{"id", "object", "deleted": true}`): it tells that the object is
    gone, not what it was (the files API labels it `file`, like the file itself)."""
    return isinstance(obj, dict) and obj.get("deleted") is True and not is_list(obj)


def seconds(value: Any) -> Any:
    """A timestamp in Unix seconds: one in milliseconds divided down; anything else as is."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > MILLISECONDS:
        return int(value // 1000)
    return value


def in_milliseconds(value: Any) -> bool:
    return seconds(value) is not value


def text(value: Any) -> str:
    """The text of a text content's `text` field as a reader wants it: `{"value": ...}` as the
    API sends it, a plain string, a list of parts (their texts, joined), anything else as
    JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "value" in value:
        return text(value["value"])
    if isinstance(value, list):
        return "".join(text(item) for item in value)
    return json.dumps(value, ensure_ascii=False)


def label(value: Any) -> str:
    """A field the API sends as a string (a status, a type), as a reader shows it: a string
    as it is, a missing one as `?`, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return "?"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def optional_label(value: Any) -> str | None:
    """`label`, keeping a missing value missing."""
    return None if value is None else label(value)


@dataclass(frozen=True)
class ErrorFields:
    type: str | None
    code: str | None
    message: str | None


def error_fields(body: Any, raw: str | None = None) -> ErrorFields:
    """The type, code and message an error answer carries, whatever its shape: the API's
    `{"error": {...}}`, `{"detail": ...}` (a string or a list of problems), `{"error": "..."}`,
    `{"message": ...}`, plain text, or an HTML page (its heading and text)."""
    if isinstance(body, dict):
        error = body.get("error")
        inner = error if isinstance(error, dict) else body
        message = _message(inner.get("message"))
        if message is None:
            message = _message(error if isinstance(error, str) else inner.get("detail"))
        if message is None and inner is not body:
            message = _message(body.get("detail") or body.get("message"))
        if message is None and not any(k in inner for k in ("type", "code")):
            message = json.dumps(body, ensure_ascii=False)
        return ErrorFields(_string(inner.get("type")), _string(inner.get("code")), message)
    if body is not None:
        return ErrorFields(None, None, _message(body) or json.dumps(body, ensure_ascii=False))
    return ErrorFields(None, None, page_text(raw) if raw else None)


def page_text(raw: str) -> str:
    """Plain text as it is; an HTML page as the words a browser would show (its title first)."""
    if not re.search(r"<\s*(html|body|head|title|h1|p|div|pre)\b", raw, re.IGNORECASE):
        return raw.strip()
    raw = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", raw)
    words = html.unescape(re.sub(r"<[^>]*>", " ", raw))
    return " ".join(words.split())


def _message(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # FastAPI's validation problems: [{"loc", "msg", "type"}]
        parts = [_problem(item) for item in value]
        return "; ".join(p for p in parts if p)
    if isinstance(value, dict):
        inner = value.get("msg") or value.get("message")
        return _problem(value) if inner is not None else json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def _problem(item: Any) -> str:
    if not isinstance(item, dict):
        return text(item)
    message = item.get("msg") or item.get("message")
    where = item.get("loc")
    if isinstance(where, list) and message is not None:
        return f"{'.'.join(str(p) for p in where)}: {message}"
    return str(message) if message is not None else json.dumps(item, ensure_ascii=False)


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None if value is None else str(value)
