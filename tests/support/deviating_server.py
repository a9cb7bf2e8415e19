"""A loopback Assistants server that deviates from the API the way self-hosted ones do.

It keeps assistants, threads, messages, runs, steps and files in memory and runs
a small fixed script: a run on an assistant with function tools asks for the
first tool (arguments `{"city": "Paris"}`), and completes with an assistant
message once outputs come; without tools it completes with an echo of the last
user message. Where it deviates (each one a thing a real server was seen doing):

- ids are random (`uuid4`) and every timestamp is in milliseconds;
- a message's text content is a list of parts (`"text": [{"value": ...}]`);
- the run-steps listing is labelled `"object": "thread.run.step"`, not `"list"`;
- runs carry no `usage`, `temperature` nor `tool_choice`; assistants no
  `temperature`, `top_p` nor `response_format`;
- `stream: true` on a tool-output submission is answered with plain JSON (a run
  created with `stream: true` streams server-sent events);
- errors are `{"detail": ...}` (unknown thread, run, assistant), plain text
  (unknown file) or an HTML page (vector stores, which it lacks).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from tests.support.echo_server import EchoHandler
from tests.support.serving import serving

Obj = dict[str, Any]
HTML_ERROR = "<html><body><h1>Not Found</h1><p>The requested URL was not found.</p></body></html>"


def _ms() -> int:
    return time.time_ns() // 1_000_000


def _id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex}"


def _text(value: str) -> Obj:
    return {"type": "text", "text": [{"value": value, "annotations": []}]}


class NotFound(Exception):
    def __init__(self, status: int, body: Any, content_type: str = "application/json") -> None:
        self.status, self.body, self.content_type = status, body, content_type


@dataclass
class State:
    assistants: dict[str, Obj] = field(default_factory=dict)
    threads: dict[str, Obj] = field(default_factory=dict)
    messages: dict[str, list[Obj]] = field(default_factory=dict)
    runs: dict[str, Obj] = field(default_factory=dict)
    steps: dict[str, list[Obj]] = field(default_factory=dict)
    files: dict[str, Obj] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, table: dict[str, Obj], key: str, what: str) -> Obj:
        if key not in table:
            raise NotFound(404, {"detail": f"{what} {key} not found"})
        return table[key]

    # -- objects

    def message(self, thread_id: str, role: str, text: str, run: Obj | None = None) -> Obj:
        made = {
            "id": _id("msg_"),
            "object": "thread.message",
            "created_at": _ms(),
            "thread_id": thread_id,
            "role": role,
            "content": [_text(text)],
            "assistant_id": run["assistant_id"] if run else None,
            "run_id": run["id"] if run else None,
            "attachments": [],
            "metadata": {},
        }
        self.messages[thread_id].append(made)
        return made

    def step(self, run: Obj, kind: str, details: Obj, status: str) -> Obj:
        made = {
            "id": _id("step_"),
            "object": "thread.run.step",
            "created_at": _ms(),
            "run_id": run["id"],
            "assistant_id": run["assistant_id"],
            "thread_id": run["thread_id"],
            "type": kind,
            "status": status,
            "step_details": details,
        }
        self.steps[run["id"]].append(made)
        return made

    def new_run(self, thread_id: str, body: Obj) -> Obj:
        self.get(self.threads, thread_id, "thread")
        assistant = self.get(self.assistants, str(body.get("assistant_id")), "assistant")
        run = {
            "id": _id("run_"),
            "object": "thread.run",
            "created_at": _ms(),
            "thread_id": thread_id,
            "assistant_id": assistant["id"],
            "status": "queued",
            "required_action": None,
            "last_error": None,
            "model": assistant["model"],
            "instructions": assistant.get("instructions") or "",
            "tools": assistant["tools"],
            "metadata": {},
        }
        self.runs[run["id"]] = run
        self.steps[run["id"]] = []
        return run

    def advance(self, run: Obj) -> None:
        """One poll's worth of progress: queued -> in_progress -> requires_action | completed."""
        if run["status"] == "queued":
            run["status"] = "in_progress"
        elif run["status"] == "cancelling":
            run["status"], run["cancelled_at"] = "cancelled", _ms()
        elif run["status"] == "in_progress":
            functions = [t for t in run["tools"] if t.get("type") == "function"]
            if functions and not run.get("outputs"):
                call = {
                    "id": _id("call_"),
                    "type": "function",
                    "function": {
                        "name": functions[0]["function"]["name"],
                        "arguments": json.dumps({"city": "Paris"}),
                    },
                }
                run["status"] = "requires_action"
                run["required_action"] = {
                    "type": "submit_tool_outputs",
                    "submit_tool_outputs": {"tool_calls": [call]},
                }
                self.step(
                    run, "tool_calls", {"type": "tool_calls", "tool_calls": [call]}, "in_progress"
                )
            else:
                self.finish(run)

    def finish(self, run: Obj) -> Obj:
        if run.get("outputs"):
            reply = "Result: " + "; ".join(run["outputs"])
        else:
            asked = [m for m in self.messages[run["thread_id"]] if m["role"] == "user"]
            reply = "You said: " + (asked[-1]["content"][0]["text"][0]["value"] if asked else "")
        made = self.message(run["thread_id"], "assistant", reply, run)
        self.step(
            run,
            "message_creation",
            {"type": "message_creation", "message_creation": {"message_id": made["id"]}},
            "completed",
        )
        run["status"], run["completed_at"] = "completed", _ms()
        return made

    def submit(self, run: Obj, body: Obj) -> None:
        outputs = [str(o.get("output")) for o in body.get("tool_outputs") or []]
        run["outputs"] = outputs
        run["required_action"] = None
        run["status"] = "in_progress"
        for step in self.steps[run["id"]]:
            if step["type"] == "tool_calls":
                step["status"] = "completed"
                for call, output in zip(step["step_details"]["tool_calls"], outputs, strict=False):
                    call["function"]["output"] = output


def _public(run: Obj) -> Obj:
    return {k: v for k, v in run.items() if k != "outputs"}


def _page(data: list[Obj], label: str = "list") -> Obj:
    return {
        "object": label,
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": False,
    }


class _Handler(EchoHandler):
    server: _Server

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        raw = (json.dumps(body) if content_type == "application/json" else body).encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _events(self, events: list[tuple[str, Any]]) -> None:
        raw = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)
        raw += "event: done\ndata: [DONE]\n\n"
        self._send(200, raw, "text/event-stream")

    def _answer(self) -> None:
        raw, echo = self.read_echo()
        body: Any = {}
        if raw and "json" in self.headers.get("content-type", ""):
            body = json.loads(raw)
        path = str(echo["path"]).removeprefix("/v1")
        state = self.server.state
        try:
            with state.lock:
                self._route(state, self.command, path, body, raw, echo["query"])
        except NotFound as missing:
            self._send(missing.status, missing.body, missing.content_type)

    def _route(self, s: State, method: str, path: str, body: Any, raw: bytes, query: Any) -> None:
        parts = path.strip("/").split("/")
        if parts[0] == "assistants" and method == "POST" and len(parts) == 1:
            assistant = {
                "id": _id("asst_"),
                "object": "assistant",
                "created_at": _ms(),
                "name": body.get("name"),
                "description": None,
                "model": body.get("model"),
                "instructions": body.get("instructions"),
                "tools": body.get("tools") or [],
                "metadata": body.get("metadata") or {},
            }
            s.assistants[assistant["id"]] = assistant
            return self._send(200, assistant)
        if parts[0] == "assistants" and len(parts) == 2:
            return self._send(200, s.get(s.assistants, parts[1], "assistant"))
        if parts[0] == "threads" and len(parts) == 1 and method == "POST":
            thread = {"id": _id("thread_"), "object": "thread", "created_at": _ms(), "metadata": {}}
            s.threads[thread["id"]], s.messages[thread["id"]] = thread, []
            for given in body.get("messages") or []:
                s.message(thread["id"], given["role"], given["content"])
            return self._send(200, thread)
        if parts[0] == "threads" and len(parts) >= 3:
            return self._thread(s, method, parts[1], parts[2:], body)
        if parts[0] == "threads" and len(parts) == 2:
            return self._send(200, s.get(s.threads, parts[1], "thread"))
        if parts[0] == "files":
            return self._files(s, method, parts[1:], raw)
        if parts[0] == "vector_stores":
            raise NotFound(404, HTML_ERROR, "text/html")
        raise NotFound(404, {"detail": "Not Found"})

    def _thread(self, s: State, method: str, thread_id: str, rest: list[str], body: Any) -> None:
        s.get(s.threads, thread_id, "thread")
        if rest == ["messages"] and method == "POST":
            return self._send(200, s.message(thread_id, body["role"], body["content"]))
        if rest == ["messages"]:
            return self._send(200, _page(list(reversed(s.messages[thread_id]))))
        if rest == ["runs"] and method == "POST":
            run = s.new_run(thread_id, body)
            if not body.get("stream"):
                return self._send(200, _public(run))
            events: list[tuple[str, Any]] = [("thread.run.created", _public(run))]
            s.advance(run)
            events.append(("thread.run.in_progress", _public(run)))
            s.advance(run)
            if run["status"] == "completed":
                made = s.messages[thread_id][-1]
                events += [("thread.message.created", made), ("thread.message.completed", made)]
            events.append((f"thread.run.{run['status']}", _public(run)))
            return self._events(events)
        run = s.get(s.runs, rest[1], "run")
        action = rest[2:]
        if action == [] and method == "GET":
            s.advance(run)
            return self._send(200, _public(run))
        if action == ["steps"]:
            return self._send(200, _page(s.steps[run["id"]], "thread.run.step"))
        if action == ["submit_tool_outputs"]:
            s.submit(run, body)
            return self._send(200, _public(run))  # also when asked to stream
        if action == ["cancel"]:
            if run["status"] in ("completed", "cancelled"):
                raise NotFound(400, {"detail": f"run {run['id']} cannot be cancelled"})
            run["status"] = "cancelling"
            return self._send(200, _public(run))
        raise NotFound(404, {"detail": "Not Found"})

    def _files(self, s: State, method: str, rest: list[str], raw: bytes) -> None:
        if not rest and method == "POST":
            form = _form(self.headers.get("content-type", ""), raw)
            name, content = form["file"]
            made = {
                "id": _id("file-"),
                "object": "file",
                "bytes": len(content),
                "created_at": _ms(),
                "filename": name,
                "purpose": form["purpose"][1].decode(),
            }
            s.files[made["id"]] = made
            return self._send(200, made)
        if rest and rest[0] not in s.files:
            raise NotFound(404, f"file {rest[0]} does not exist", "text/plain")
        if rest and method == "DELETE":
            del s.files[rest[0]]
            return self._send(200, {"id": rest[0], "object": "file", "deleted": True})
        if rest:
            return self._send(200, s.files[rest[0]])
        return self._send(200, _page(list(s.files.values())))

    do_GET = do_POST = do_DELETE = _answer


def _form(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """A multipart form's fields: name -> (filename, bytes)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        disposition = str(part.get("content-disposition", ""))
        name = re.search(r'\bname="([^"]*)"', disposition)
        if name:
            payload = part.get_payload(decode=True)
            fields[name.group(1)] = (
                part.get_filename(),
                payload if isinstance(payload, bytes) else b"",
            )
    return fields


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: State


@contextmanager
def deviating_server() -> Iterator[str]:
    """Serve on 127.0.0.1 (ephemeral port); yields the base URL (ending in /v1)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = State()
    with serving(server):
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
