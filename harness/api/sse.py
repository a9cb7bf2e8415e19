"""Server-sent events as both APIs send them: `event: <name>\\ndata: <json>\\n\\n` frames.

The one parser and renderer of the harness: cassettes parse recorded streams and render
them for replay, the emulator renders the streams it serves, the model client reads a chat
model's stream as it arrives (`Decoder`, fed bytes in whatever pieces the network gives).
Assistants streams end with `event: done` / `data: [DONE]`; Responses streams end with their
last `response.*` event; Chat Completions streams send `data:` lines only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from harness.api.constants import TERMINAL_RESPONSE_STATUSES

DONE_EVENT = "done"
DONE = b"event: " + DONE_EVENT.encode() + b"\ndata: [DONE]\n\n"
"""The last frame of an Assistants stream."""
ERROR_EVENT = "error"
"""The event either API ends a stream with when the server fails mid-way."""
RESPONSE_EVENT_PREFIX = "response."
RESPONSE_STREAM_ENDS = frozenset(
    RESPONSE_EVENT_PREFIX + status for status in TERMINAL_RESPONSE_STATUSES - {"cancelled"}
)
"""The events a Responses stream ends with (`response.completed`, `.failed`, `.incomplete`):
no stream sees a response cancelled (a cancel is a request about a background response)."""


def api_of_stream(first_event: str | None) -> str:
    """`responses` for a stream of `response.*` events, else `assistants`."""
    return "responses" if (first_event or "").startswith(RESPONSE_EVENT_PREFIX) else "assistants"


def frame(event: str | None, data: bytes) -> bytes:
    """One event on the wire (no `event:` line when `event` is None)."""
    head = b"event: " + event.encode() + b"\n" if event is not None else b""
    return head + b"data: " + data + b"\n\n"


def render(events: Iterable[Mapping[str, Any]]) -> bytes:
    """Events (`{"event": name, "data": parsed}`) as the bytes a server sends."""
    chunks = []
    for event in events:
        data = event.get("data")
        raw = data.encode() if isinstance(data, str) else orjson.dumps(data)
        chunks.append(frame(event.get("event"), raw))
    return b"".join(chunks)


class Decoder:
    """Splits a byte stream into events as it arrives: `feed` what came, get the events it
    completed as (name or None, data text); `close` gives the last one if the stream ended
    without a blank line."""

    def __init__(self) -> None:
        self._buffer = b""
        self._name: str | None = None
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[tuple[str | None, str]]:
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        found: list[tuple[str | None, str]] = []
        for line in lines:
            self._line(line.rstrip(b"\r").decode("utf-8"), found)
        return found

    def close(self) -> list[tuple[str | None, str]]:
        found: list[tuple[str | None, str]] = []
        if self._buffer:
            self._line(self._buffer.rstrip(b"\r").decode("utf-8"), found)
            self._buffer = b""
        self._line("", found)
        return found

    def _line(self, line: str, found: list[tuple[str | None, str]]) -> None:
        if line.startswith("event:"):
            self._name = line[6:].strip()
        elif line.startswith("data:"):
            self._data.append(line[5:].removeprefix(" "))
        elif not line and (self._name is not None or self._data):
            found.append((self._name, "\n".join(self._data)))
            self._name, self._data = None, []


def parse(body: bytes) -> tuple[dict[str, Any], ...]:
    """A whole recorded stream as `{"event": name, "data": parsed}` dicts (data that is not
    JSON, such as `[DONE]`, stays text)."""
    decoder = Decoder()
    blocks = decoder.feed(body) + decoder.close()
    events: list[dict[str, Any]] = []
    for name, raw in blocks:
        try:
            data: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            data = raw
        events.append({"event": name, "data": data})
    return tuple(events)
