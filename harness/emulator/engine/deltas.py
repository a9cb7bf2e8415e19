"""How a text is cut into stream deltas: pieces of about a chunk's size, citation markers whole."""

from __future__ import annotations

from harness.emulator.backend.store import Obj

MAX_DELTAS = 1000
"""A stream carries at most this many deltas of one text (plus one per annotation): a
client's cost per delta grows with the text so far (the SDK rebuilds its snapshot)."""


def text_deltas(text: str, annotations: list[Obj], size: int) -> list[tuple[int | None, int, int]]:
    """(annotation index or None, start, end) of each delta of a message's text: plain text
    in `pieces`, and each annotation's marker whole and alone. (Deltas stay under
    MAX_DELTAS for `size` at least len(text) / MAX_DELTAS, plus one per annotation.)"""
    out: list[tuple[int | None, int, int]] = []
    pos = 0
    for index, note in enumerate(annotations):
        start, end = note["start_index"], note["end_index"]
        out += [(None, pos + a, pos + b) for a, b in pieces(text[pos:start], size)]
        out.append((index, start, end))
        pos = end
    out += [(None, pos + a, pos + b) for a, b in pieces(text[pos:], size)]
    return out


def pieces(text: str, size: int) -> list[tuple[int, int]]:
    """(start, end) spans of about `size` characters, cut after whitespace when possible."""
    spans: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind(" ", start + 1, end + 1)
            end = cut + 1 if cut > start else end
        spans.append((start, end))
        start = end
    return spans
