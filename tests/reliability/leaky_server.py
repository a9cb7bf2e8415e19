"""A careless Assistants-compatible server on loopback: it echoes every secret back.

Each answer carries the request it answers (method, path, query, headers,
body) in every shape a real server could: JSON bodies, streamed message text,
streamed tool-call arguments and code input (cut into 5-character deltas, so
any secret spans several events), response headers asked for with
`x-echo-<name>`, and uploaded files served back byte for byte. Any base path
is accepted. The streamed shape is chosen with the request header
`x-leak-shape: message | arguments | code`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.support.echo_server import EchoHandler
from tests.support.serving import serving

PIECE = 5


class _Handler(EchoHandler):
    def _answer(self) -> None:
        raw, echo = self.read_echo()
        parts = urlsplit(self.path)
        server: Any = self.server
        server.seen.append(echo)
        content_type, body = self._body(server, parts.path, raw, echo)
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        for name, value in self.headers.items():
            if name.lower().startswith("x-echo-"):
                self.send_header(name[len("x-echo-") :], value)
        self.end_headers()
        self.wfile.write(body)

    def _body(self, server: Any, path: str, raw: bytes, echo: dict[str, Any]) -> tuple[str, bytes]:
        if path.endswith("/files") and self.command == "POST":
            file_id = f"file-{len(server.files) + 1}"
            server.files[file_id] = _uploaded(raw, self.headers.get("content-type", ""))
            return "application/json", json.dumps(_file(file_id, echo)).encode()
        if path.endswith("/content") and self.command == "GET":
            file_id = path.rsplit("/", 2)[-2]
            return "application/octet-stream", server.files.get(file_id, b"")
        if b'"stream":true' in raw.replace(b" ", b""):
            shape = self.headers.get("x-leak-shape", "message")
            text = json.dumps(echo)
            return "text/event-stream", _sse(STREAMS[shape](text))
        # `status` ends a poll helper's loop; `data` makes a list page of nothing.
        answer = {
            "id": "obj_echo",
            "object": "echo",
            "status": "completed",
            "data": [],
            "echo": echo,
        }
        return "application/json", json.dumps(answer).encode()

    do_GET = do_POST = do_DELETE = _answer


def _uploaded(raw: bytes, content_type: str) -> bytes:
    """The file part of a multipart upload."""
    boundary = content_type.partition("boundary=")[2].strip('"').encode()
    for chunk in raw.split(b"--" + boundary):
        head, _, content = chunk.partition(b"\r\n\r\n")
        if b"filename=" in head:
            return content.removesuffix(b"\r\n")
    return b""


def _file(file_id: str, echo: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": file_id,
        "object": "file",
        "bytes": 0,
        "created_at": 1,
        "filename": "upload",
        "purpose": "assistants",
        "status": "processed",
        "echo": echo,
    }


def _pieces(text: str) -> list[str]:
    return [text[i : i + PIECE] for i in range(0, len(text), PIECE)]


def _run(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "run_1",
        "object": "thread.run",
        "thread_id": "thread_1",
        "assistant_id": "asst_1",
        "status": status,
        **extra,
    }


def _message_stream(text: str) -> list[tuple[str, Any]]:
    message = {
        "id": "msg_1",
        "object": "thread.message",
        "thread_id": "thread_1",
        "run_id": "run_1",
        "role": "assistant",
        "status": "in_progress",
        "content": [],
    }
    step = {
        "id": "step_1",
        "object": "thread.run.step",
        "run_id": "run_1",
        "type": "message_creation",
        "status": "in_progress",
        "step_details": {"type": "message_creation", "message_creation": {"message_id": "msg_1"}},
    }
    deltas = [
        (
            "thread.message.delta",
            {
                "id": "msg_1",
                "object": "thread.message.delta",
                "delta": {"content": [{"index": 0, "type": "text", "text": {"value": piece}}]},
            },
        )
        for piece in _pieces(text)
    ]
    done = {
        **message,
        "status": "completed",
        "content": [{"type": "text", "text": {"value": text, "annotations": []}}],
    }
    return [
        ("thread.run.created", _run("queued")),
        ("thread.run.step.created", step),
        ("thread.message.created", message),
        *deltas,
        ("thread.message.completed", done),
        ("thread.run.step.completed", {**step, "status": "completed"}),
        ("thread.run.completed", _run("completed")),
    ]


def _tool_stream(text: str, kind: str) -> list[tuple[str, Any]]:
    field = "arguments" if kind == "function" else "input"
    first: dict[str, Any] = (
        {"name": "lookup", "arguments": "", "output": None}
        if kind == "function"
        else {"input": "", "outputs": []}
    )
    step = {
        "id": "step_1",
        "object": "thread.run.step",
        "run_id": "run_1",
        "type": "tool_calls",
        "status": "in_progress",
        "step_details": {"type": "tool_calls", "tool_calls": []},
    }

    def delta(call: dict[str, Any]) -> tuple[str, Any]:
        details = {"type": "tool_calls", "tool_calls": [{"index": 0, "type": kind, **call}]}
        return (
            "thread.run.step.delta",
            {"id": "step_1", "object": "thread.run.step.delta", "delta": {"step_details": details}},
        )

    events = [
        ("thread.run.created", _run("queued")),
        ("thread.run.step.created", step),
        delta({"id": "call_1", kind: first}),
        *(delta({kind: {field: piece}}) for piece in _pieces(text)),
    ]
    whole = {"id": "call_1", "type": kind, kind: {**first, field: text}}
    if kind == "function":
        action = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [whole]}}
        return [
            *events,
            ("thread.run.requires_action", _run("requires_action", required_action=action)),
        ]
    details = {"type": "tool_calls", "tool_calls": [whole]}
    completed = {**step, "status": "completed", "step_details": details}
    return [
        *events,
        ("thread.run.step.completed", completed),
        ("thread.run.completed", _run("completed")),
    ]


STREAMS = {
    "message": _message_stream,
    "arguments": lambda text: _tool_stream(text, "function"),
    "code": lambda text: _tool_stream(text, "code_interpreter"),
}


def _sse(events: list[tuple[str, Any]]) -> bytes:
    blocks = [f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events]
    return ("".join(blocks) + "event: done\ndata: [DONE]\n\n").encode()


@contextmanager
def leaky_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Serve on 127.0.0.1 (ephemeral port); yields (origin, requests seen)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.seen = []  # type: ignore[attr-defined]
    server.files = {}  # type: ignore[attr-defined]
    with serving(server):
        yield f"http://127.0.0.1:{server.server_address[1]}", server.seen  # type: ignore[attr-defined]
