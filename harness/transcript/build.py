"""Reading a cassette exchange by exchange into a `Transcript`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

from harness.cassette.model import Cassette, Request, Response
from harness.transcript.aliases import _collect_ids
from harness.transcript.model import (
    JSON,
    ErrorEntry,
    ListedItem,
    Listing,
    Message,
    Resource,
    RunEvent,
    RunTimeline,
    Step,
    Stream,
    StreamEvent,
    Submission,
    ToolCall,
    Transcript,
    _collapse,
)


class _RunState:
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


class _Builder:
    def __init__(self, cassette: Cassette, source: str, usage: bool) -> None:
        self.cassette = cassette
        self.source = source
        self.usage = usage
        self.a = _collect_ids(cassette)
        self.requests: list[tuple[str, int]] = []
        self.runs: dict[str, _RunState] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.listings: list[dict[str, Any]] = []
        self.streams: list[Stream] = []
        self.errors: list[ErrorEntry] = []
        self.resources: dict[str, dict[str, Any]] = {}
        self.created: dict[str, set[int]] = {"message": set(), "step": set()}

    # -- driving

    def build(self) -> Transcript:
        for where, interaction in enumerate(self.cassette.interactions, 1):
            self.exchange(where, interaction.request, interaction.response, interaction.repeat)
        return self.freeze()

    def line(self, request: Request, response: Response | None = None) -> str:
        text = f"{request.method} {self.a.text(request.path)}"
        if request.query:
            text += "?" + urlencode([(k, self.a.text(v)) for k, v in request.query], safe="[]")
        if response is not None and not 200 <= response.status < 300:
            text += f" -> {response.status}"
        return text

    def exchange(self, where: int, request: Request, response: Response, repeat: int) -> None:
        self.requests.append((self.line(request, response), repeat))
        parts = request.path.strip("/").split("/")
        ok = 200 <= response.status < 300
        if not ok:
            self.error(where, request, response)
        self.request_effects(where, request, response, parts, repeat)
        if response.events is not None:
            self.stream(where, request, response.events)
        elif ok and isinstance(response.body, dict):
            if response.body.get("object") == "list" and request.method == "GET":
                self.listing(where, request, parts, response.body)
            self.observe(response.body, where, repeat)

    def error(self, where: int, request: Request, response: Response) -> None:
        body = response.body if isinstance(response.body, dict) else {}
        err = body.get("error") if isinstance(body.get("error"), dict) else body
        message = err.get("message") if isinstance(err, dict) else None
        self.errors.append(
            ErrorEntry(
                where=where,
                request=self.line(request),
                status=response.status,
                type=err.get("type") if isinstance(err, dict) else None,
                code=err.get("code") if isinstance(err, dict) else None,
                message=self.a.text(message) if isinstance(message, str) else response.text,
            )
        )

    def request_effects(
        self, where: int, request: Request, response: Response, parts: list[str], repeat: int
    ) -> None:
        method, status = request.method, response.status
        ok = 200 <= status < 300
        body = request.body if isinstance(request.body, dict) else {}
        if method == "POST" and len(parts) == 5 and parts[0] == "threads" and parts[2] == "runs":
            run = self.run(parts[3])
            if parts[4] == "submit_tool_outputs":
                outputs = tuple(
                    (
                        self.a.of(o.get("tool_call_id")) or str(o.get("tool_call_id")),
                        _parse(o.get("output")),
                    )
                    for o in body.get("tool_outputs") or ()
                    if isinstance(o, dict)
                )
                for _ in range(repeat):
                    run.events.append(
                        RunEvent("submit", where, None, tuple(c for c, _ in outputs), status)
                    )
                    run.submissions.append(
                        Submission(
                            where,
                            tuple((c, self.a.deep(o)) for c, o in outputs),
                            status,
                            bool(body.get("stream")),
                        )
                    )
            elif parts[4] == "cancel":
                run.events.append(RunEvent("cancel", where, http_status=status, count=repeat))
        if (
            not ok
            or not parts
            or parts[0] not in ("assistants", "threads", "files", "vector_stores")
        ):
            return
        if len(parts) == 1 and method == "POST" and isinstance(response.body, dict):
            self.lifecycle(response.body.get("id"), "created")
        elif len(parts) == 2 and method in ("POST", "DELETE"):
            self.lifecycle(parts[1], "deleted" if method == "DELETE" else "modified")
        elif (
            parts[0] == "vector_stores"
            and len(parts) >= 3
            and parts[2] in ("files", "file_batches")
        ):
            if method == "POST" and len(parts) == 3:
                for fid in [body.get("file_id"), *(body.get("file_ids") or ())]:
                    if fid is not None:
                        self.lifecycle(parts[1], f"file_added {self.a.of(fid) or fid}")
            elif method == "DELETE" and len(parts) == 4:
                self.lifecycle(parts[1], f"file_removed {self.a.of(parts[3]) or parts[3]}")

    def run(self, real_id: str) -> _RunState:
        if real_id not in self.runs:
            self.runs[real_id] = _RunState(real_id)
        return self.runs[real_id]

    # -- objects

    def observe(self, obj: JSON, where: int, repeat: int = 1) -> None:
        if not isinstance(obj, dict):
            return
        kind = obj.get("object")
        if kind == "list":
            for item in obj.get("data") or ():
                self.observe(item, where, repeat)
        elif kind == "thread.run":
            self.observe_run(obj, where, repeat)
        elif kind == "thread.run.step":
            self.observe_step(obj, where, repeat)
        elif kind == "thread.message":
            self.observe_message(obj, where)
        elif kind in ("assistant", "thread", "file", "vector_store", "vector_store.files_batch"):
            self.observe_resource(kind, obj, repeat)
        elif kind == "vector_store.file":
            store = self.resource("vector_store", obj.get("vector_store_id"))
            if store is not None:
                spans = store["files"].setdefault(self.a.of(obj.get("id")) or "?", [])
                spans.append((str(obj.get("status")), repeat))
        elif isinstance(kind, str) and kind.endswith(".deleted") and obj.get("deleted"):
            self.lifecycle(obj.get("id"), "deleted")

    def observe_run(self, obj: dict[str, Any], where: int, repeat: int) -> None:
        run = self.run(str(obj.get("id")))
        run.thread = self.a.of(obj.get("thread_id")) or run.thread
        run.assistant = self.a.of(obj.get("assistant_id")) or run.assistant
        status = str(obj.get("status"))
        calls: tuple[ToolCall, ...] = ()
        action = obj.get("required_action")
        if status == "requires_action" and isinstance(action, dict):
            raw = (action.get("submit_tool_outputs") or {}).get("tool_calls") or ()
            calls = tuple(self.tool_call(c) for c in raw if isinstance(c, dict))
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
        run = self.run(str(obj.get("run_id")))
        step = run.steps.setdefault(str(obj.get("id")), {"where": where, "statuses": []})
        step["statuses"].append((str(obj.get("status")), repeat))
        if isinstance(obj.get("created_at"), int):
            step["created_at"] = obj["created_at"]
            self.created["step"].add(obj["created_at"])
        details = obj.get("step_details")
        if isinstance(details, dict):
            step["type"] = details.get("type") or obj.get("type")
            creation = details.get("message_creation")
            if isinstance(creation, dict):
                step["message"] = creation.get("message_id")
            calls = details.get("tool_calls")
            if isinstance(calls, list) and calls:
                step["tool_calls"] = tuple(self.tool_call(c) for c in calls if isinstance(c, dict))
        if isinstance(obj.get("last_error"), dict):
            step["last_error"] = self.a.deep(obj["last_error"])

    def observe_message(self, obj: dict[str, Any], where: int) -> None:
        entry = self.messages.setdefault(str(obj.get("id")), {"where": where})
        entry.update(obj)
        if isinstance(obj.get("created_at"), int):
            self.created["message"].add(obj["created_at"])

    def observe_resource(self, kind: str, obj: dict[str, Any], repeat: int) -> None:
        real = str(obj.get("id"))
        entry = self.resource(kind, real)
        if entry is None:
            return
        if not entry["lifecycle"]:
            entry["lifecycle"].append("seen")
        if kind == "assistant":
            tools = obj.get("tools") or []
            entry["info"] = {
                "name": obj.get("name"),
                "model": obj.get("model"),
                "tools": [
                    (t.get("function") or {}).get("name", "function")
                    if t.get("type") == "function"
                    else t.get("type")
                    for t in tools
                    if isinstance(t, dict)
                ],
            }
        elif kind == "file":
            entry["info"] = {"filename": obj.get("filename"), "purpose": obj.get("purpose")}
        elif kind == "vector_store":
            entry["info"] = {"name": obj.get("name")}
        if "status" in obj and kind != "file":
            entry["statuses"].append((str(obj["status"]), repeat))

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
        if not isinstance(real, str):
            return
        kind = {"asst": "assistant", "thread": "thread", "file": "file", "vs": "vector_store"}.get(
            (self.a.of(real) or "").rsplit("_", 1)[0], "object"
        )
        entry = self.resource(kind, real)
        if entry is not None and entry["lifecycle"][-1:] != [what]:
            entry["lifecycle"].append(what)

    def tool_call(self, call: dict[str, Any]) -> ToolCall:
        kind = str(call.get("type"))
        data: dict[str, JSON] = {}
        inner = _dict(call.get(kind))
        if kind == "function":
            data["name"] = inner.get("name")
            data["arguments"] = self.a.deep(_parse(inner.get("arguments")))
            if inner.get("output") is not None:
                data["output"] = self.a.deep(_parse(inner.get("output")))
        elif kind == "code_interpreter":
            data["input"] = inner.get("input")
            outputs = []
            for out in inner.get("outputs") or ():
                if out.get("type") == "logs":
                    outputs.append({"logs": out.get("logs")})
                elif out.get("type") == "image":
                    outputs.append({"image": self.a.of((out.get("image") or {}).get("file_id"))})
            data["outputs"] = outputs
        elif kind == "file_search":
            results = inner.get("results") or []
            data["results"] = [
                {"file": self.a.of(r.get("file_id")), "name": r.get("file_name")} for r in results
            ]
        return ToolCall(self.a.of(call.get("id")) or str(call.get("id")), kind, data)

    # -- listings and streams

    def listing(self, where: int, request: Request, parts: list[str], body: dict[str, Any]) -> None:
        if len(parts) == 3 and parts[0] == "threads" and parts[2] == "messages":
            kind, owner = "messages", parts[1]
        elif len(parts) == 5 and parts[0] == "threads" and parts[4] == "steps":
            kind, owner = "steps", parts[3]
        else:
            return
        self.listings.append(
            {
                "where": where,
                "kind": kind,
                "request": self.line(request),
                "owner": self.a.of(owner) or owner,
                "query": {k.rstrip("[]"): self.a.text(v) for k, v in request.query},
                "items": [i for i in body.get("data") or () if isinstance(i, dict)],
                "has_more": body.get("has_more"),
            }
        )

    def stream(self, where: int, request: Request, events: Iterable[dict[str, Any]]) -> None:
        seen: list[StreamEvent] = []
        run: str | None = None
        for event in events:
            name = str(event.get("event"))
            data = event.get("data")
            obj_kind = data.get("object") if isinstance(data, dict) else None
            ref = self.a.of(data.get("id")) if isinstance(data, dict) else None
            if obj_kind == "thread.run" and run is None:
                run = ref
            seen.append(StreamEvent(name, ref, obj_kind))
            if name == "error" and isinstance(data, dict):
                err = _dict(data.get("error")) or data
                self.errors.append(
                    ErrorEntry(
                        where,
                        self.line(request),
                        200,
                        err.get("type"),
                        err.get("code"),
                        self.a.text(str(err.get("message"))),
                    )
                )
            else:
                self.observe(data, where)
        self.streams.append(Stream(where, self.line(request), run, tuple(seen)))

    # -- freezing

    def freeze(self) -> Transcript:
        ranks = {
            kind: {v: n for n, v in enumerate(sorted(vals), 1)}
            for kind, vals in self.created.items()
        }
        runs = tuple(self.freeze_run(r, ranks["step"]) for r in self.runs.values())
        messages = tuple(
            Message(
                id=self.a.of(real) or real,
                real_id=real,
                thread=self.a.of(m.get("thread_id")),
                role=m.get("role"),
                run=self.a.of(m.get("run_id")),
                status=m.get("status"),
                text=self.a.text(_text(m.get("content"))),
                annotations=tuple(self.annotations(m.get("content"))),
                created=ranks["message"].get(m.get("created_at", -1)),
                where=m["where"],
            )
            for real, m in self.messages.items()
        )
        listings = tuple(self.freeze_listing(item, ranks) for item in self.listings)
        resources = tuple(
            Resource(
                id=self.a.of(real) or real,
                real_id=real,
                kind=r["kind"],
                info=r["info"],
                lifecycle=tuple(r["lifecycle"]),
                statuses=_collapse(r["statuses"]),
                files={f: _collapse(s) for f, s in r["files"].items()},
            )
            for real, r in self.resources.items()
        )
        return Transcript(
            source=self.source,
            requests=_collapse(self.requests),
            runs=runs,
            messages=messages,
            listings=listings,
            streams=tuple(self.streams),
            errors=tuple(self.errors),
            resources=resources,
            aliases=dict(self.a.table),
            usage=self.usage,
        )

    def freeze_run(self, run: _RunState, step_ranks: dict[int, int]) -> RunTimeline:
        steps = sorted(
            run.steps.items(),
            key=lambda kv: (step_ranks.get(kv[1].get("created_at", -1), 0), kv[1]["where"]),
        )
        return RunTimeline(
            id=self.a.of(run.real_id) or run.real_id,
            real_id=run.real_id,
            thread=run.thread,
            assistant=run.assistant,
            events=tuple(run.events),
            steps=tuple(
                Step(
                    id=self.a.of(real) or real,
                    real_id=real,
                    type=str(s.get("type")),
                    statuses=_collapse(s["statuses"]),
                    message=self.a.of(s.get("message")),
                    tool_calls=s.get("tool_calls", ()),
                    created=step_ranks.get(s.get("created_at", -1)),
                    where=s["where"],
                    last_error=s.get("last_error"),
                )
                for real, s in steps
            ),
            required_actions=tuple(run.required),
            submissions=tuple(run.submissions),
            last_error=run.last_error,
            incomplete=run.incomplete,
            usage=run.usage if self.usage else None,
        )

    def freeze_listing(self, item: dict[str, Any], ranks: dict[str, dict[int, int]]) -> Listing:
        listed: list[ListedItem] = []
        for obj in item["items"]:
            real = str(obj.get("id"))
            created = ranks["message" if item["kind"] == "messages" else "step"].get(
                obj.get("created_at", -1)
            )
            if item["kind"] == "messages":
                owner = self.a.of(obj.get("thread_id"))
                summary: dict[str, JSON] = {
                    "role": obj.get("role"),
                    "text": self.a.text(_text(obj.get("content"))),
                }
                notes = list(self.annotations(obj.get("content")))
                if notes:
                    summary["annotations"] = notes
            else:
                owner = self.a.of(obj.get("run_id"))
                details = obj.get("step_details") or {}
                summary = {
                    "type": details.get("type") or obj.get("type"),
                    "status": obj.get("status"),
                }
            listed.append(ListedItem(self.a.of(real) or real, owner, created, summary))
        return Listing(
            where=item["where"],
            kind=item["kind"],
            request=item["request"],
            owner=item["owner"],
            query=item["query"],
            items=tuple(listed),
            has_more=item["has_more"],
        )

    def annotations(self, content: JSON) -> Iterator[dict[str, JSON]]:
        for part in content if isinstance(content, list) else ():
            text = part.get("text") if isinstance(part, dict) else None
            for note in (text or {}).get("annotations") or () if isinstance(text, dict) else ():
                kind = note.get("type")
                inner = _dict(note.get(kind))
                yield {
                    "type": kind,
                    "text": note.get("text"),
                    "file": self.a.of(inner.get("file_id")),
                }


def _dict(value: JSON) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(content: JSON) -> str:
    if isinstance(content, str):
        return content
    pieces: list[str] = []
    for part in content if isinstance(content, list) else ():
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind == "text":
            text = part.get("text")
            pieces.append(text.get("value", "") if isinstance(text, dict) else str(text))
        elif kind == "image_file":
            pieces.append(f"[image_file {(part.get('image_file') or {}).get('file_id')}]")
        elif kind == "image_url":
            pieces.append(f"[image_url {(part.get('image_url') or {}).get('url')}]")
        elif kind == "refusal":
            pieces.append(f"[refusal] {part.get('refusal')}")
    return "\n".join(pieces)


def _parse(value: JSON) -> JSON:
    """A JSON string's value when it holds an object or array; the value itself otherwise."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
