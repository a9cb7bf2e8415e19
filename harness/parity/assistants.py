"""An Assistants v2 recording as the common view: a thread is a conversation, a run a turn.

What the user said comes from the app's requests (messages it created, a thread's first
messages, a run's additional messages); runs, steps and messages from every answer that shows
them (bodies, listings, stream events), so a streamed run and a polled one read the same. A
run's own `instructions` and `tools` are its settings (the assistant's, or the run's override).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness import api
from harness.api import deviations
from harness.cassette.model import Cassette, Request, Response
from harness.parity.model import (
    JSON,
    ApiError,
    Conversation,
    Ending,
    Said,
    Settings,
    ToolCall,
    Turn,
)
from harness.parity.reading import (
    as_dict,
    citation,
    dicts,
    error_code,
    parse_json,
    settings,
    strip_markers,
)

_ENDINGS = {
    "completed": "completed",
    "requires_action": "needed a tool",
    "cancelled": "cancelled",
    "cancelling": "cancelled",
    "expired": "expired",
}


@dataclass
class _Call:
    kind: str
    name: str | None
    arguments: JSON
    output: JSON = None


@dataclass
class _Run:
    thread: str
    said: list[Said]
    settings: Settings | None = None
    status: str = "queued"
    error: str | None = None
    reason: str | None = None
    calls: dict[str, _Call] = field(default_factory=dict)
    steps_seen: bool = False


@dataclass
class _Message:
    seen: int
    created: int
    run: str | None
    said: Said


@dataclass
class _Thread:
    pending: list[Said] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    errors: list[ApiError] = field(default_factory=list)


class AssistantsReader:
    """Feed it a cassette's exchanges (`read`), then take the conversations (`conversations`)."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files
        """File id -> name."""
        self.threads: dict[str, _Thread] = {}
        self.runs: dict[str, _Run] = {}
        self.messages: dict[str, _Message] = {}
        self.unknown: list[str] = []
        self.pending_for_run: list[Said] = []
        """A create_thread_and_run's messages, until its run shows."""
        self._seen = 0

    def read(self, cassette: Cassette) -> None:
        for interaction in cassette.interactions:
            self.exchange(interaction.request, interaction.response)

    def exchange(self, request: Request, response: Response) -> None:
        found = api.match(request.method, request.path)
        if found is None or found.operation.api == "responses":
            return
        ok = 200 <= response.status < 300
        name, body, thread = found.name, as_dict(request.body), found.params.get("thread_id")
        if not ok:
            if thread is not None:
                self.thread(thread).errors.append(ApiError(response.status, error_code(response)))
            return
        if name == "create_thread":
            created = as_dict(response.body).get("id")
            if isinstance(created, str):
                self.thread(created).pending += self.said_all(body.get("messages"))
        elif name == "create_thread_and_run":
            self.pending_for_run = self.said_all(as_dict(body.get("thread")).get("messages"))
        elif name == "create_message" and thread is not None:
            self.thread(thread).pending.append(self.said(body))
        elif name == "create_run" and thread is not None:
            self.thread(thread).pending += self.said_all(body.get("additional_messages"))
        elif name == "submit_tool_outputs_to_run":
            self.outputs(found.params.get("run_id", ""), body.get("tool_outputs"))
        if response.events is not None:
            for event in response.events:
                self.observe(event.get("data"))
        else:
            self.observe(response.body)

    # -- what the app sent

    def thread(self, thread_id: str) -> _Thread:
        return self.threads.setdefault(thread_id, _Thread())

    def said_all(self, messages: JSON) -> list[Said]:
        return [self.said(m) for m in dicts(messages)]

    def said(self, message: dict[str, Any]) -> Said:
        content = message.get("content")
        texts = [content] if isinstance(content, str) else []
        for part in dicts(content):
            kind = part.get("type")
            if kind == "text" and isinstance(part.get("text"), str):
                texts.append(part["text"])
            else:
                texts.append(f"[{kind}]")
        files = tuple(
            self.files.get(str(a.get("file_id")), str(a.get("file_id")))
            for a in dicts(message.get("attachments"))
        )
        return Said(str(message.get("role") or "user"), "\n".join(texts), files)

    def outputs(self, run_id: str, outputs: JSON) -> None:
        run = self.runs.get(run_id)
        if run is None:
            return
        for item in dicts(outputs):
            call = run.calls.get(str(item.get("tool_call_id")))
            if call is not None:
                call.output = parse_json(item.get("output"))

    # -- what the answers show

    def observe(self, obj: JSON) -> None:
        if not isinstance(obj, dict):
            return
        kind = deviations.kind(obj)
        if kind == "list":
            for item in dicts(obj.get("data")):
                self.observe(item)
        elif kind == "file" and isinstance(obj.get("filename"), str):
            self.files[str(obj.get("id"))] = obj["filename"]
        elif kind == "thread" and isinstance(obj.get("id"), str):
            self.thread(obj["id"])
        elif kind == "thread.run":
            self.observe_run(obj)
        elif kind == "thread.run.step":
            run = self.runs.get(str(obj.get("run_id")))
            details = as_dict(obj.get("step_details"))
            if run is not None:
                run.steps_seen = True
                for call in dicts(details.get("tool_calls")):
                    self.call(run, call)
        elif kind == "thread.message":
            self.observe_message(obj)

    def observe_run(self, obj: dict[str, Any]) -> None:
        run_id, thread_id = str(obj.get("id")), str(obj.get("thread_id"))
        run = self.runs.get(run_id)
        if run is None:
            thread = self.thread(thread_id)
            said, thread.pending = thread.pending + self.pending_for_run, []
            self.pending_for_run = []
            run = self.runs[run_id] = _Run(thread_id, said)
            thread.runs.append(run_id)
        run.settings = settings(obj.get("instructions"), obj.get("tools"))
        run.status = str(obj.get("status"))
        if isinstance(obj.get("last_error"), dict):
            code = obj["last_error"].get("code")
            run.error = str(code) if code else None
        if isinstance(obj.get("incomplete_details"), dict):
            reason = obj["incomplete_details"].get("reason")
            run.reason = str(reason) if reason else None
        action = as_dict(obj.get("required_action"))
        for call in dicts(as_dict(action.get("submit_tool_outputs")).get("tool_calls")):
            self.call(run, call)

    def call(self, run: _Run, call: dict[str, Any]) -> None:
        kind = str(call.get("type"))
        inner = as_dict(call.get(kind))
        known = run.calls.get(str(call.get("id")))
        if kind == "function":
            name = inner.get("name")
            new = _Call(kind, str(name) if name else None, parse_json(inner.get("arguments")))
            if inner.get("output") is not None:
                new.output = parse_json(inner.get("output"))
        elif kind == "code_interpreter":
            logs = [o.get("logs") for o in dicts(inner.get("outputs")) if o.get("type") == "logs"]
            new = _Call(kind, None, inner.get("input"), "".join(map(str, logs)) or None)
        elif kind == "file_search":
            new = _Call(kind, None, None)
        else:
            new = _Call(kind, None, None)
            self.unknown.append(f"tool call {kind}")
        if known is not None and new.output is None:
            new.output = known.output
        run.calls[str(call.get("id"))] = new

    def observe_message(self, obj: dict[str, Any]) -> None:
        if obj.get("role") != "assistant":
            return
        texts: list[str] = []
        annotations: list[dict[str, Any]] = []
        for part in dicts(obj.get("content")):
            body = as_dict(part.get("text"))
            if part.get("type") == "text":
                texts.append(deviations.text(part.get("text")))
                annotations += dicts(body.get("annotations"))
            else:
                texts.append(f"[{part.get('type')}]")
        known = self.messages.get(str(obj.get("id")))
        if known is not None and not texts:
            return  # a streamed message's first sight, before its text
        text = strip_markers("\n".join(texts), annotations)
        cited = tuple(citation(a, self.files) for a in annotations)
        stamp = obj.get("created_at")
        created = stamp if isinstance(stamp, int) else 0
        run = obj.get("run_id") if isinstance(obj.get("run_id"), str) else None
        self._seen += 1
        self.messages[str(obj.get("id"))] = _Message(
            known.seen if known else self._seen,
            known.created if known else created,
            run,
            Said("assistant", text.strip(), citations=cited),
        )

    # -- the view

    def conversations(self) -> list[Conversation]:
        out: list[Conversation] = []
        for thread in self.threads.values():
            turns = [self.turn(run_id) for run_id in thread.runs]
            if thread.pending:
                turns.append(Turn(tuple(thread.pending), (), (), (), Ending("unfinished")))
            out.append(Conversation(tuple(turns), tuple(thread.errors)))
        return out

    def turn(self, run_id: str) -> Turn:
        run = self.runs[run_id]
        answers = sorted(
            (m for m in self.messages.values() if m.run == run_id),
            key=lambda m: (m.created, m.seen),
        )
        calls = tuple(ToolCall(c.kind, c.name, c.arguments, c.output) for c in run.calls.values())
        return Turn(
            tuple(run.said),
            (run.settings,) if run.settings else (),
            calls,
            tuple(m.said for m in answers),
            self.ending(run),
            builtins_seen=run.steps_seen,
            answers_seen=bool(answers) or run.status != "completed",
        )

    def ending(self, run: _Run) -> Ending:
        if run.status == "failed":
            return Ending("failed", run.error)
        if run.status == "incomplete":
            return Ending("incomplete", run.reason)
        return Ending(_ENDINGS.get(run.status, "unfinished"))
