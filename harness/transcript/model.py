"""The transcript's value objects (runs, steps, messages, listings, streams) and their data view.

Every object renders itself with `to_data(detail)`: without `detail` the snapshot view (what
stays equal when a conversation is re-recorded), with it the counts, ranks and ids as well.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from harness.transcript.response_model import ConversationView, ResponseTimeline, SequencedStream
from harness.transcript.spans import JSON as JSON
from harness.transcript.spans import StatusSpan as StatusSpan
from harness.transcript.spans import collapse as collapse
from harness.transcript.spans import spans_data as _spans


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

    def to_data(self, detail: bool = False) -> dict[str, JSON]:
        out: dict[str, JSON] = {
            "id": self.id,
            "type": self.type,
            "statuses": _spans(self.statuses, detail),
        }
        if self.message:
            out["message"] = self.message
        if self.tool_calls:
            out["tool_calls"] = [c.to_data() for c in self.tool_calls]
        if self.last_error:
            out["last_error"] = dict(self.last_error)
        if detail:
            out["created"] = self.created
        return out


@dataclass(frozen=True)
class Submission:
    where: int
    outputs: tuple[tuple[str, JSON], ...]
    """(call alias, output) pairs as sent."""
    http_status: int
    stream: bool

    def to_data(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {"outputs": [{"call": c, "output": o} for c, o in self.outputs]}
        if self.stream:
            out["stream"] = True
        if not 200 <= self.http_status < 300:
            out["http_status"] = self.http_status
        return out


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
        return collapse((e.status or "", e.count) for e in self.events if e.kind == "status")

    def to_data(self, detail: bool = False) -> dict[str, JSON]:
        out: dict[str, JSON] = {
            "id": self.id,
            "statuses": _spans(self.statuses, detail),  # next to the id, so a diff names the run
            "thread": self.thread,
            "assistant": self.assistant,
        }
        if self.required_actions:
            out["required_actions"] = [
                [c.to_data() for c in calls] for calls in self.required_actions
            ]
        if self.submissions:
            out["submissions"] = [s.to_data() for s in self.submissions]
        if self.steps:
            out["steps"] = [s.to_data(detail) for s in self.steps]
        if self.last_error:
            out["last_error"] = dict(self.last_error)
        if self.incomplete:
            out["incomplete"] = self.incomplete
        if self.usage:
            out["usage"] = dict(self.usage)
        return out


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

    def to_data(self, detail: bool = False) -> dict[str, JSON]:
        out: dict[str, JSON] = {
            "id": self.id,
            "thread": self.thread,
            "role": self.role,
            "run": self.run,
        }
        if self.status is not None:  # REST messages carry none; streamed ones do
            out["status"] = self.status
        out["text"] = self.text
        if self.annotations:
            out["annotations"] = [dict(a) for a in self.annotations]
        if detail:
            out["created"] = self.created
        return out


@dataclass(frozen=True)
class ListedItem:
    id: str
    owner: str | None
    """The thread (messages) or run (steps) the item says it belongs to."""
    created: int | None
    summary: Mapping[str, JSON]

    def to_data(self, detail: bool = False) -> dict[str, JSON]:
        out: dict[str, JSON] = {"id": self.id, **self.summary}
        if detail:
            out["created"] = self.created
        return out


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

    def to_data(self, detail: bool = False) -> dict[str, JSON]:
        out: dict[str, JSON] = {"request": self.request, "kind": self.kind}
        if self.query:
            out["query"] = dict(self.query)
        out["items"] = [item.to_data(detail) for item in self.items]
        if self.has_more:
            out["has_more"] = True
        return out


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
        return collapse((e.name, 1) for e in self.events)

    def to_data(self, detail: bool = False) -> dict[str, JSON]:
        return {
            "request": self.request,
            "run": self.run,
            "events": _spans(self.collapsed(), detail),
        }


@dataclass(frozen=True)
class ErrorEntry:
    where: int
    request: str
    status: int
    type: str | None
    code: str | None
    message: str | None

    def to_data(self) -> dict[str, JSON]:
        return {
            "request": self.request,
            "status": self.status,
            "type": self.type,
            "code": self.code,
            "message": self.message,
        }


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

    def to_data(self, detail: bool = False) -> dict[str, JSON]:
        out: dict[str, JSON] = {"id": self.id, **self.info, "lifecycle": list(self.lifecycle)}
        if self.statuses:
            out["statuses"] = _spans(self.statuses, detail)
        if self.files:
            out["files"] = {f: _spans(s, detail) for f, s in self.files.items()}
        return out


# The keys resources are listed under in `Transcript.to_data`, in that order.
_RESOURCE_KEYS = (
    ("assistant", "assistants"),
    ("thread", "threads"),
    ("file", "files"),
    ("vector_store", "vector_stores"),
    ("vector_store.files_batch", "file_batches"),
)


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
    responses: tuple[ResponseTimeline, ...] = ()
    conversations: tuple[ConversationView, ...] = ()
    sequenced: tuple[SequencedStream, ...] = ()
    """Responses streams' `sequence_numbers` (for the invariants; not in the data view)."""
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
        data: dict[str, JSON] = {}
        if detail:
            data["source"] = self.source
        data["requests"] = _spans(self.requests, detail)
        for kind, key in _RESOURCE_KEYS:
            chosen = [r.to_data(detail) for r in self.resources if r.kind == kind]
            if chosen:
                data[key] = chosen
        if self.runs:
            data["runs"] = [r.to_data(detail) for r in self.runs]
        if self.messages:
            data["messages"] = [m.to_data(detail) for m in self.messages]
        if self.listings:
            data["listings"] = [item.to_data(detail) for item in self.listings]
        if self.responses:
            data["responses"] = [r.to_data(detail) for r in self.responses]
        if self.conversations:
            data["conversations"] = [c.to_data(detail) for c in self.conversations]
        if self.streams:
            data["streams"] = [s.to_data(detail) for s in self.streams]
        if self.errors:
            data["errors"] = [e.to_data() for e in self.errors]
        if detail:
            data["ids"] = {alias: real for real, alias in self.aliases.items()}
        return data

    def to_json(self, *, detail: bool = True) -> str:
        """`to_data` as indented JSON: what `harness transcript CASSETTE` prints."""
        return json.dumps(self.to_data(detail=detail), indent=2, ensure_ascii=False)
