"""The Responses side of a transcript as values: responses, conversations, sequenced streams."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from harness.transcript.spans import JSON, StatusSpan
from harness.transcript.spans import spans_data as _spans


@dataclass(frozen=True)
class ResponseTimeline:
    id: str
    real_id: str
    where: int
    """1-based interaction that created it (or first showed it)."""
    previous: str | None
    conversation: str | None
    settings: Mapping[str, JSON]
    tools: tuple[str, ...]
    input: tuple[Mapping[str, JSON], ...]
    statuses: tuple[StatusSpan, ...]
    observed: tuple[tuple[str, int, int], ...]
    """(status, times in a row, 1-based interaction it was first seen at in that row): the
    status path with where each step of it shows, for the invariants."""
    gates: tuple[tuple[int, str], ...]
    """(position in the expanded status list before which it happened, request): accepted
    cancels, for the lifecycle check."""
    output: tuple[Mapping[str, JSON], ...]
    error: Mapping[str, JSON] | None
    incomplete: str | None
    usage: Mapping[str, JSON] | None
    answered: tuple[str, ...]
    """Aliases of the call ids its request answered with `function_call_output` items."""

    @property
    def calls(self) -> tuple[str, ...]:
        """Aliases of the call ids of its `function_call` output items."""
        return tuple(str(i["call"]) for i in self.output if i.get("type") == "function_call")

    def to_data(self, detail: bool = False) -> dict[str, JSON]:
        out: dict[str, JSON] = {"id": self.id}
        if self.previous:
            out["previous"] = self.previous
        if self.conversation:
            out["conversation"] = self.conversation
        out.update(self.settings)
        if self.tools:
            out["tools"] = list(self.tools)
        out["input"] = [dict(i) for i in self.input]
        out["statuses"] = _spans(self.statuses, detail)
        out["output"] = [dict(i) for i in self.output]
        if self.error:
            out["error"] = dict(self.error)
        if self.incomplete:
            out["incomplete"] = self.incomplete
        if self.usage is not None:
            out["usage"] = dict(self.usage)
        return out


@dataclass(frozen=True)
class ConversationView:
    id: str
    real_id: str
    lifecycle: tuple[str, ...]
    items: tuple[Mapping[str, JSON], ...]
    """Its items in the order the traffic added them (oldest first): those it was created
    with or given, then each response's input and output."""

    def to_data(self, detail: bool = False) -> dict[str, JSON]:
        return {"id": self.id, "lifecycle": list(self.lifecycle), "items": list(self.items)}


@dataclass(frozen=True)
class SequencedStream:
    """A Responses stream's `sequence_number`s, for the gap check."""

    where: int
    request: str
    starting_after: int | None
    numbers: tuple[int | None, ...]
