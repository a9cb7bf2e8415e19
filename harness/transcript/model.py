"""The transcript's value objects: runs, steps, messages, listings, streams."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

JSON = Any

# ----------------------------------------------------------------------------- value objects


@dataclass(frozen=True)
class StatusSpan:
    """One status observed `count` times in a row."""

    status: str
    count: int


@dataclass(frozen=True)
class RunEvent:
    """One thing that happened to a run, in cassette order.

    kind "status": the run was observed in `status` (`count` times in a row; `call_ids` are the
    pending tool calls when it is requires_action). kind "submit": tool outputs were submitted
    for `call_ids` and answered `http_status`. kind "cancel": a cancel request was answered
    `http_status`. `where` is the 1-based interaction number in the cassette.
    """

    kind: str
    where: int
    status: str | None = None
    call_ids: tuple[str, ...] = ()
    http_status: int | None = None
    count: int = 1


@dataclass(frozen=True)
class ToolCall:
    id: str
    type: str
    data: Mapping[str, JSON]
    """Type-specific summary: name/arguments/output, input/outputs, or search results."""

    def to_data(self) -> dict[str, JSON]:
        return {"id": self.id, "type": self.type, **self.data}


@dataclass(frozen=True)
class Step:
    id: str
    real_id: str
    type: str
    statuses: tuple[StatusSpan, ...]
    message: str | None
    """The message a message_creation step created (alias)."""
    tool_calls: tuple[ToolCall, ...]
    created: int | None
    where: int
    """Interaction that first showed the step."""
    last_error: Mapping[str, JSON] | None = None


@dataclass(frozen=True)
class Submission:
    where: int
    outputs: tuple[tuple[str, JSON], ...]
    """(call alias, output) pairs as sent."""
    http_status: int
    stream: bool


@dataclass(frozen=True)
class RunTimeline:
    id: str
    real_id: str
    thread: str | None
    assistant: str | None
    events: tuple[RunEvent, ...]
    steps: tuple[Step, ...]
    required_actions: tuple[tuple[ToolCall, ...], ...]
    submissions: tuple[Submission, ...]
    last_error: Mapping[str, JSON] | None
    incomplete: str | None
    usage: Mapping[str, JSON] | None

    @property
    def statuses(self) -> tuple[StatusSpan, ...]:
        return _collapse((e.status or "", e.count) for e in self.events if e.kind == "status")


@dataclass(frozen=True)
class Message:
    id: str
    real_id: str
    thread: str | None
    role: str | None
    run: str | None
    status: str | None
    text: str
    annotations: tuple[Mapping[str, JSON], ...]
    created: int | None
    where: int


@dataclass(frozen=True)
class ListedItem:
    id: str
    owner: str | None
    """The thread (messages) or run (steps) the item says it belongs to."""
    created: int | None
    summary: Mapping[str, JSON]


@dataclass(frozen=True)
class Listing:
    """One list response of messages or run steps, in the order returned."""

    where: int
    kind: str
    """"messages" or "steps"."""
    request: str
    owner: str | None
    """The thread (messages) or run (steps) named in the path."""
    query: Mapping[str, str]
    items: tuple[ListedItem, ...]
    has_more: bool | None

    @property
    def order(self) -> str:
        return self.query.get("order", "desc")


@dataclass(frozen=True)
class StreamEvent:
    name: str
    ref: str | None
    """Alias of the object the event carries (run, step, message), if any."""
    kind: str | None
    """`object` of the payload (e.g. thread.message.delta)."""


@dataclass(frozen=True)
class Stream:
    where: int
    request: str
    run: str | None
    events: tuple[StreamEvent, ...]

    def collapsed(self) -> tuple[StatusSpan, ...]:
        return _collapse((e.name, 1) for e in self.events)


@dataclass(frozen=True)
class ErrorEntry:
    where: int
    request: str
    status: int
    type: str | None
    code: str | None
    message: str | None


@dataclass(frozen=True)
class Resource:
    """An assistant, thread, file, vector store or file batch: what it is and what befell it."""

    id: str
    real_id: str
    kind: str
    info: Mapping[str, JSON]
    lifecycle: tuple[str, ...]
    statuses: tuple[StatusSpan, ...]
    files: Mapping[str, tuple[StatusSpan, ...]]
    """Vector stores: status of each attached file (alias)."""


@dataclass(frozen=True)
class Transcript:
    source: str
    requests: tuple[StatusSpan, ...]
    """`METHOD /path?query [-> status]` lines, consecutive repeats collapsed."""
    runs: tuple[RunTimeline, ...]
    messages: tuple[Message, ...]
    listings: tuple[Listing, ...]
    streams: tuple[Stream, ...]
    errors: tuple[ErrorEntry, ...]
    resources: tuple[Resource, ...]
    aliases: Mapping[str, str]
    """Real id -> alias."""
    usage: bool = False
    _reverse: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def real_id(self, alias: str | None) -> str:
        if alias is None:
            return "?"
        if not self._reverse:
            self._reverse.update({a: r for r, a in self.aliases.items()})
        return self._reverse.get(alias, alias)

    def run(self, alias: str) -> RunTimeline:
        return next(r for r in self.runs if r.id == alias)

    def to_data(self, *, detail: bool = False) -> dict[str, JSON]:
        """Plain dicts and lists; `detail` adds counts, ranks and the id table."""
        from harness.transcript.render import render

        return render(self, detail)


def _collapse(items: Iterable[tuple[str, int]]) -> tuple[StatusSpan, ...]:
    spans: list[StatusSpan] = []
    for value, count in items:
        if spans and spans[-1].status == value:
            spans[-1] = StatusSpan(value, spans[-1].count + count)
        else:
            spans.append(StatusSpan(value, count))
    return tuple(spans)
