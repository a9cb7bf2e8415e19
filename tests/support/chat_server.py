"""A loopback Chat Completions server that answers from a script and keeps what it received.

Each request takes the next scripted answer: a JSON body with a status
(`Answer`), bytes as they are (`Raw`), a stream of chunks sent as server-sent events in HTTP chunks, which
may pause on an event the test sets (`Stream`), or silence (`Hang`). With the
script empty it answers 500, so a test that asks more than it planned fails.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.serving import serving


@dataclass
class Answer:
    body: Any
    status: int = 200


@dataclass
class Raw:
    """Bytes sent as they are (what a broken or hostile endpoint may send)."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"


@dataclass
class Stream:
    chunks: list[dict[str, Any]]
    pause_after: int | None = None
    """Send this many chunks, then wait for `resume` before the rest."""
    resume: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    """Set once every chunk has been sent."""
    done: bool = True
    """End with `data: [DONE]`."""


@dataclass
class Hang:
    seconds: float


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class ChatServer:
    def __init__(self) -> None:
        self.answers: deque[Answer | Stream | Hang | Raw] = deque()
        self.received: list[Received] = []
        self.base_url = ""

    def script(self, *answers: Answer | Stream | Hang | Raw) -> None:
        self.answers.extend(answers)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [r.body for r in self.received]


def completion(
    content: str | None = None,
    *,
    calls: list[dict[str, Any]] | None = None,
    finish: str | None = None,
    usage: tuple[int, int] = (11, 7),
    refusal: str | None = None,
) -> Answer:
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": refusal}
    if calls:
        message["tool_calls"] = calls
    return Answer(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": "test-model",
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": finish or ("tool_calls" if calls else "stop"),
                }
            ],
            "usage": {
                "prompt_tokens": usage[0],
                "completion_tokens": usage[1],
                "total_tokens": sum(usage),
            },
        }
    )


def call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def usage_chunk(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def text_chunks(pieces: list[str], usage: tuple[int, int] = (13, 5)) -> list[dict[str, Any]]:
    out = [chunk({"role": "assistant", "content": ""})]
    out += [chunk({"content": piece}) for piece in pieces]
    out += [chunk({}, "stop"), usage_chunk(*usage)]
    return out


def call_chunks(calls: list[tuple[str, str, list[str]]]) -> list[dict[str, Any]]:
    """Tool calls as a model streams them: id and name first, then argument pieces."""
    out = [chunk({"role": "assistant", "content": None})]
    for index, (call_id, name, pieces) in enumerate(calls):
        first = {"index": index, "id": call_id, "type": "function"}
        out.append(chunk({"tool_calls": [{**first, "function": {"name": name, "arguments": ""}}]}))
        for piece in pieces:
            out.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}))
    out += [chunk({}, "tool_calls"), usage_chunk(17, 9)]
    return out


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        chat = self.server.chat
        chat.received.append(
            Received(self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw))
        )
        answer = chat.answers.popleft() if chat.answers else Answer({"error": "unscripted"}, 500)
        self.close_connection = True
        if isinstance(answer, Hang):
            time.sleep(answer.seconds)
            return
        if isinstance(answer, (Answer, Raw)):
            if isinstance(answer, Raw):
                body, content_type = answer.body, answer.content_type
            else:
                body, content_type = json.dumps(answer.body).encode(), "application/json"
            self.send_response(answer.status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for i, data in enumerate(answer.chunks):
            if answer.pause_after is not None and i == answer.pause_after:
                answer.resume.wait(10)
            self._chunk(f"data: {json.dumps(data)}\n\n".encode())
        if answer.done:
            self._chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        answer.finished.set()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    chat: ChatServer


@contextmanager
def chat_server() -> Iterator[ChatServer]:
    """Serve on 127.0.0.1 (ephemeral port); `base_url` ends in /v1."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.chat = ChatServer()
    server.chat.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    with serving(server):
        yield server.chat


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
