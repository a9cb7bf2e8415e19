"""Statuses observed in a row, collapsed to spans, and how spans show in the data view."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

JSON = Any


@dataclass(frozen=True)
class StatusSpan:
    """One status observed `count` times in a row."""

    status: str
    count: int


def collapse(items: Iterable[tuple[str, int]]) -> tuple[StatusSpan, ...]:
    """Consecutive equal values merged into one span whose count is their sum."""
    spans: list[StatusSpan] = []
    for value, count in items:
        if spans and spans[-1].status == value:
            spans[-1] = StatusSpan(value, spans[-1].count + count)
        else:
            spans.append(StatusSpan(value, count))
    return tuple(spans)


def spans_data(spans: Iterable[StatusSpan], detail: bool) -> list[JSON]:
    return [[s.status, s.count] if detail else s.status for s in spans]
