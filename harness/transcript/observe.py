"""What the API objects in a cassette's responses say, gathered per run, message and resource.

`Observations` is the mutable state a transcript is built up in: every run, step, message,
assistant, thread, file and vector store seen, with the statuses each was seen in, in order.
"""

from __future__ import annotations

from typing import Any

from harness.api import deviations
from harness.cassette.calls import required_tool_calls, step_tool_calls
from harness.transcript.aliases import Aliases
from harness.transcript.model import JSON, RunEvent, Submission, ToolCall
from harness.transcript.summaries import as_dict, dicts, tool_call

_RESOURCE_KINDS = ("assistant", "thread", "file", "vector_store", "vector_store.files_batch")
# The kind of a resource by the kind of its alias (`asst_1` -> assistant).
_ALIAS_KINDS = {"asst": "assistant", "thread": "thread", "file": "file", "vs": "vector_store"}


class RunState:
    """One run as observed so far."""

    def __init__(self, real_id: str) -> None:
        self.real_id = real_id
        self.thread: str | None = None
        self.assistant: str | None = None
        self.events: list[RunEvent] = []
        self.steps: dict[str, dict[str, Any]] = {}
        self.required: list[tuple[ToolCall, ...]] = []
        self.submissions: list[Submission] = []
        self.last_error: dict[str, JSON] | None = None
        self.incomplete: str | None = None
        self.usage: dict[str, JSON] | None = None


class Observations:
    def __init__(self, aliases: Aliases) -> None:
        self.a = aliases
        self.runs: dict[str, RunState] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.resources: dict[str, dict[str, Any]] = {}
        self.created: dict[str, set[int]] = {"message": set(), "step": set()}
        """`created_at` values seen per kind, ranked when the transcript is frozen."""

    def run(self, real_id: str) -> RunState:
        if real_id not in self.runs:
            self.runs[real_id] = RunState(real_id)
        return self.runs[real_id]

    def resource(self, kind: str, real: JSON) -> dict[str, Any] | None:
        if not isinstance(real, str) or real not in self.a.table:
            return None
        if real not in self.resources:
            self.resources[real] = {
                "kind": kind,
                "info": {},
                "lifecycle": [],
                "statuses": [],
                "files": {},
            }
        return self.resources[real]

    def lifecycle(self, real: JSON, what: str) -> None:
        """Note that `what` happened to the resource `real` (once per consecutive repeat)."""
        if not isinstance(real, str):
            return
        kind = _ALIAS_KINDS.get((self.a.of(real) or "").rsplit("_", 1)[0], "object")
        entry = self.resource(kind, real)
        if entry is not None and entry["lifecycle"][-1:] != [what]:
            entry["lifecycle"].append(what)

    # -- objects in responses and stream events

    def observe(self, obj: JSON, where: int, repeat: int = 1) -> None:
        """File what `obj` shows, read by its shape (`harness.api.deviations`): a page however
        labelled is its items; a deletion answer marks its object deleted and keeps what was
        known of it; an object without an id of its own tells nothing."""
        if not isinstance(obj, dict):
            return
        kind = deviations.kind(obj)
        if kind == "list":
            for item in dicts(obj.get("data")):
                self.observe(item, where, repeat)
        elif deviations.is_deletion(obj):
            self.lifecycle(obj.get("id"), "deleted")
        elif not isinstance(obj.get("id"), str):
            return
        elif kind == "thread.run":
            self.observe_run(obj, where, repeat)
        elif kind == "thread.run.step":
            self.observe_step(obj, where, repeat)
        elif kind == "thread.message":
            self.observe_message(obj, where)
        elif kind in _RESOURCE_KINDS:
            self.observe_resource(kind, obj, repeat)
        elif kind == "vector_store.file":
            store = self.resource("vector_store", obj.get("vector_store_id"))
            if store is not None:
                spans = store["files"].setdefault(self.a.of(obj.get("id")) or "?", [])
                spans.append((deviations.label(obj.get("status")), repeat))

    def observe_run(self, obj: dict[str, Any], where: int, repeat: int) -> None:
        run = self.run(str(obj.get("id")))
        run.thread = self.a.of(obj.get("thread_id")) or run.thread
        run.assistant = self.a.of(obj.get("assistant_id")) or run.assistant
        status = deviations.label(obj.get("status"))
        calls: tuple[ToolCall, ...] = ()
        required = required_tool_calls(obj)
        if required:
            calls = tuple(tool_call(self.a, dict(c)) for c in required)
            if calls not in run.required[-1:]:
                run.required.append(calls)
        last = run.events[-1] if run.events else None
        call_ids = tuple(c.id for c in calls)
        if last and last.kind == "status" and last.status == status and last.call_ids == call_ids:
            run.events[-1] = RunEvent(
                "status", last.where, status, call_ids, count=last.count + repeat
            )
        else:
            run.events.append(RunEvent("status", where, status, call_ids, count=repeat))
        if isinstance(obj.get("last_error"), dict):
            run.last_error = self.a.deep(obj["last_error"])
        if isinstance(obj.get("incomplete_details"), dict):
            run.incomplete = obj["incomplete_details"].get("reason")
        if isinstance(obj.get("usage"), dict):
            run.usage = obj["usage"]

    def observe_step(self, obj: dict[str, Any], where: int, repeat: int) -> None:
        if not isinstance(obj.get("run_id"), str):
            return  # a step that names no run belongs to none the transcript can show
        run = self.run(obj["run_id"])
        step = run.steps.setdefault(str(obj.get("id")), {"where": where, "statuses": []})
        step["statuses"].append((deviations.label(obj.get("status")), repeat))
        if isinstance(obj.get("created_at"), int):
            step["created_at"] = obj["created_at"]
            self.created["step"].add(obj["created_at"])
        details = obj.get("step_details")
        if isinstance(details, dict):
            step["type"] = details.get("type") or obj.get("type")
            creation = details.get("message_creation")
            if isinstance(creation, dict):
                step["message"] = creation.get("message_id")
            calls = step_tool_calls(obj)
            if calls:
                step["calls"] = tuple(tool_call(self.a, dict(c)) for c in calls)
        if isinstance(obj.get("last_error"), dict):
            step["last_error"] = self.a.deep(obj["last_error"])

    def observe_message(self, obj: dict[str, Any], where: int) -> None:
        entry = self.messages.setdefault(str(obj.get("id")), {"where": where})
        entry.update(obj)
        if isinstance(obj.get("created_at"), int):
            self.created["message"].add(obj["created_at"])

    def observe_resource(self, kind: str, obj: dict[str, Any], repeat: int) -> None:
        entry = self.resource(kind, str(obj.get("id")))
        if entry is None:
            return
        if not entry["lifecycle"]:
            entry["lifecycle"].append("seen")
        if kind == "assistant":
            entry["info"] = {
                "name": obj.get("name"),
                "model": obj.get("model"),
                "tools": [
                    as_dict(t.get("function")).get("name", "function")
                    if t.get("type") == "function"
                    else t.get("type")
                    for t in dicts(obj.get("tools"))
                ],
            }
        elif kind == "file":
            entry["info"] = {"filename": obj.get("filename"), "purpose": obj.get("purpose")}
        elif kind == "vector_store":
            entry["info"] = {"name": obj.get("name")}
        if "status" in obj and kind != "file":
            entry["statuses"].append((deviations.label(obj["status"]), repeat))
