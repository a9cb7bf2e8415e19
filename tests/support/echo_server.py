"""A loopback HTTP server that answers every request with what it received.

Used where the emulator is more than a test needs: secrets planted in a
request come back in headers, JSON bodies and SSE events, the way a careless
server might echo them.
"""

from __future__ import annotations

import gzip
import json
import secrets
import socket
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from tests.support.serving import serving


class EchoHandler(BaseHTTPRequestHandler):
    """What a loopback test server's handler shares: no Nagle delay, no log, and the request
    read back as data (`read_echo`)."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, delayed ACKs
        # stall every response by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def read_echo(self) -> tuple[bytes, dict[str, object]]:
        """The request body, and the request as data: method, path, query, headers, body."""
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        echo: dict[str, object] = {
            "method": self.command,
            "path": parts.path,
            "query": dict(parse_qsl(parts.query)),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": raw.decode("utf-8", "replace"),
        }
        return raw, echo


class _Handler(EchoHandler):
    def _answer(self) -> None:
        raw, echo = self.read_echo()
        self.server.seen.append(echo)  # type: ignore[attr-defined]
        stream = b'"stream":true' in raw.replace(b" ", b"")
        if stream:
            run = {"id": "run_echo", "object": "thread.run", "status": "completed", "echo": echo}
            body = (
                f"event: thread.run.created\ndata: {json.dumps(run)}\n\n"
                f"event: thread.run.completed\ndata: {json.dumps(run)}\n\n"
                "event: done\ndata: [DONE]\n\n"
            ).encode()
            content_type = "text/event-stream"
        else:
            answer: dict[str, object] = {"id": "obj_echo", "object": "echo", "echo": echo}
            if self.server.random_ids:  # type: ignore[attr-defined]
                # A server whose ids and times differ on every run, as a live one's do.
                answer.update(id="thread_" + secrets.token_hex(12), created_at=time.time_ns())
            body = json.dumps(answer).encode()
            content_type = "application/json"
        encoding = self.headers.get("x-echo-encoding")  # answer compressed, as a live API may
        if encoding:
            body = gzip.compress(body) if encoding == "gzip" else zlib.compress(body)
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        if encoding:
            self.send_header("content-encoding", encoding)
        for name in ("openai-organization", "openai-project", "x-request-id", "set-cookie"):
            value = self.headers.get("x-echo-" + name)
            if value:
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer


@contextmanager
def echo_server(random_ids: bool = False) -> Iterator[tuple[str, list[dict[str, object]]]]:
    """Serve on 127.0.0.1 (ephemeral port); yields (base_url, requests seen). With
    `random_ids`, JSON answers carry a fresh `thread_...` id and timestamp every time."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.seen = []  # type: ignore[attr-defined]
    server.random_ids = random_ids  # type: ignore[attr-defined]
    with serving(server):
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", server.seen  # type: ignore[attr-defined]
