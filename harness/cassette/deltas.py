"""Streamed text as the SDK sees it: the deltas of one field joined, and cut back.

A streamed message, tool-call argument or code input arrives as many SSE
deltas whose strings the SDK concatenates (`accumulate_delta`: list entries
merged by their `index`, `index` and `type` overwritten). A secret may span
any number of them, so each field is redacted as the whole text it forms and
the redacted text is cut back into the same events: the deltas still
concatenate to the (redacted) whole and replay through the SDK unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.cassette.credentials import REDACTED
from harness.cassette.spans import Span

Path = tuple[str | int, ...]
_OVERWRITTEN = frozenset({"index", "type"})
_DEPTH = 32


@dataclass
class Field:
    """One streamed field: where each of its pieces sits, and the pieces."""

    places: list[tuple[int, Path]] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.pieces)


def streamed_fields(events: Sequence[Any]) -> list[Field]:
    """The fields a stream's deltas build, in order of first appearance.

    Three shapes are known: Assistants deltas (`{"id", "delta": {...}}`),
    Responses text deltas (`{"item_id", "delta": "..."}`) and Chat Completions
    chunks (`{"id", "choices": [{"index", "delta": {...}}]}`).
    """
    fields: dict[tuple[Any, ...], Field] = {}
    for number, event in enumerate(events):
        data = event.get("data") if isinstance(event, dict) else None
        if not isinstance(data, dict):
            continue
        name = event.get("event")
        for group, root, value in _delta_roots(name, data):
            for logical, place, text in _leaves(value, (), root):
                slot = fields.setdefault((*group, logical), Field())
                slot.places.append((number, place))
                slot.pieces.append(text)
    return list(fields.values())


def _delta_roots(name: Any, data: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], Path, Any]]:
    delta = data.get("delta")
    if isinstance(delta, dict) and isinstance(data.get("id"), str):
        yield ("assistants", name, data["id"]), ("data", "delta"), delta
    elif isinstance(delta, str):
        where = tuple(data.get(k) for k in ("item_id", "output_index", "content_index"))
        yield ("responses", name, *where), ("data", "delta"), delta
    choices = data.get("choices")
    if isinstance(choices, list):
        for position, choice in enumerate(choices):
            if isinstance(choice, dict) and isinstance(choice.get("delta"), dict):
                group = ("chat", data.get("id"), choice.get("index", position))
                yield group, ("data", "choices", position, "delta"), choice["delta"]


def _leaves(value: Any, logical: Path, place: Path) -> Iterator[tuple[Path, Path, str]]:
    """String leaves that the SDK concatenates: (path by list `index`, path by
    position, string). Deeper than any real delta: left to the plain walk."""
    if len(place) > _DEPTH:
        return
    if isinstance(value, str):
        yield logical, place, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in _OVERWRITTEN:
                yield from _leaves(item, (*logical, key), (*place, key))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            if isinstance(item, dict) and isinstance(item.get("index"), int):
                yield from _leaves(item, (*logical, f"#{item['index']}"), (*place, position))


def cut(pieces: Sequence[str], spans: Sequence[Span]) -> list[str]:
    """The pieces of a text after its (sorted, merged) spans are redacted: each
    `REDACTED` goes to the piece where its secret starts, and the secret's
    characters leave every piece they were in."""
    out: list[str] = []
    start = 0
    first = 0  # the first span that may still reach the current piece
    for piece in pieces:
        end = start + len(piece)
        while first < len(spans) and spans[first].end <= start:
            first += 1
        parts: list[str] = []
        cursor = start
        for span in spans[first:]:
            if span.start >= end:
                break
            if span.start > cursor:
                parts.append(piece[cursor - start : span.start - start])
            if span.start >= start:
                parts.append(REDACTED)
            cursor = max(cursor, min(end, span.end))
        if cursor < end:
            parts.append(piece[cursor - start :])
        out.append("".join(parts))
        start = end
    return out
