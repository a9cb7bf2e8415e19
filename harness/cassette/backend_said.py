"""What the backend said went wrong in a take: the lines a failed recording's report shows.

A recorded test that fails usually fails on a symptom (`'failed' == 'completed'`);
the cause is in what the backend answered: a run or response that ended
`failed` with its `last_error` / `error`, one that ended `incomplete` with its
reason, an error answer with its message. Bodies are read as they came, so a
server that answers `{"detail": ...}` or plain text is quoted too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from harness.api import UNSUCCESSFUL_ENDS
from harness.api.deviations import error_fields
from harness.cassette.model import Cassette, Interaction

# The object kinds that end like a run, and where each keeps why it ended.
_ENDINGS = {"thread.run": "last_error", "response": "error"}
_UNSUCCESSFUL = UNSUCCESSFUL_ENDS
_LIMIT = 20


def backend_said(cassette: Cassette) -> list[str]:
    """One line per distinct complaint of the backend, in the order they came."""
    lines: list[str] = []
    for interaction in cassette.interactions:
        for line in _complaints(interaction):
            if line not in lines:
                lines.append(line)
    if len(lines) > _LIMIT:
        lines = [*lines[:_LIMIT], f"... and {len(lines) - _LIMIT} more"]
    return lines


def _complaints(interaction: Interaction) -> Iterator[str]:
    request, response = interaction.request, interaction.response
    where = f"{request.method} {request.path}"
    if response.status >= 400:
        yield f"{where} -> {response.status}: {_error_message(response.body, response.text)}"
        return
    if response.events is not None:
        for event in response.events:
            yield from _ended(event.get("data"), where)
    else:
        yield from _ended(response.body, where)


def _ended(obj: Any, where: str) -> Iterator[str]:
    if not isinstance(obj, dict):
        return
    nested = obj.get("response")  # a Responses stream event carries its response
    if isinstance(nested, dict):
        obj = nested
    kind, status = obj.get("object"), obj.get("status")
    if kind not in _ENDINGS or status not in _UNSUCCESSFUL:
        return
    reason = obj.get(_ENDINGS[kind]) or obj.get("incomplete_details")
    name = "run" if kind == "thread.run" else "response"
    told = f": {_error_message(reason, None)}" if reason else ""
    yield f"{where}: {name} {obj.get('id', '?')} ended {status}{told}"


def _error_message(body: Any, text: str | None) -> str:
    """The message of an error body, whatever its shape (`harness.api.deviations`)."""
    if isinstance(body, dict):
        error = body.get("error", body)
        reason = error.get("reason") if isinstance(error, dict) else None
        found = error_fields(body)
        code = found.code or reason or found.type
        parts = [p for p in (code, found.message) if p]
        if parts:
            return _short(": ".join(parts))
    found = error_fields(body, text)
    return _short(found.message or "(no body)")


def _short(value: Any, limit: int = 300) -> str:
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    shown = " ".join(shown.split())
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."
