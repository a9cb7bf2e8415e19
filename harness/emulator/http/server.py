"""Running the emulator: in a background thread (`EmulatorServer`) or blocking (`serve`)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

import uvicorn

from harness.api.constants import API_PATH
from harness.emulator.backend.service import AssistantsBackend
from harness.emulator.engine.brain import Brain
from harness.emulator.errors import EmulatorError
from harness.emulator.http.app import create_app
from harness.emulator.http.boundary import TOKEN_HEADER_NAME, Boundary
from harness.emulator.http.connections import guarded_protocol
from harness.emulator.http.stopping import PromptServer
from harness.emulator.options import EmulatorOptions
from harness.emulator.tools.sandbox import describe_isolation

BrainSource = dict[str, Any] | list[Any] | str | Path | None
START_TIMEOUT = 10.0
ANSWER_TIMEOUT = 600.0  # as long as the SDK waits for a response


def _config(app: Any, host: str, port: int, options: EmulatorOptions) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=guarded_protocol(options.header_timeout, options.max_pending_connections),
        log_level="warning",
        access_log=False,
        lifespan="on",
        ws="none",
        timeout_graceful_shutdown=1,
        timeout_keep_alive=30,
    )


def listen(host: str, port: int) -> socket.socket:
    """A bound socket with TCP_NODELAY, which accepted connections inherit.

    Without it a response written as headers then body waits for the
    client's delayed ACK: about 40 ms per request on loopback.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


class EmulatorServer:
    """The emulator on 127.0.0.1 in a background thread, for the lifetime of a `with` block.

    `base_url` is what an SDK client takes (`http://127.0.0.1:PORT/v1`);
    `reset(seed=..., brain=...)` forgets all objects and starts over with those
    rules (default: the ones it started with); `set_brain(rules)` swaps the rules
    until the next reset. `wrap` may wrap the ASGI app (the test suite uses it to
    record responses). Requests must name a loopback host, `host`, or one of
    `allowed_hosts` (`harness.emulator.http.boundary`); `token` guards the control
    endpoints on every bind (`control_headers` carries it); browser pages of other
    origins are refused unless named in `allowed_origins`.
    """

    def __init__(
        self,
        brain: BrainSource = None,
        *,
        options: EmulatorOptions | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        wrap: Callable[[Any], Any] | None = None,
        allowed_hosts: tuple[str, ...] = (),
        allowed_origins: tuple[str, ...] = (),
    ) -> None:
        self.backend = AssistantsBackend(brain, options)
        self.boundary = Boundary.for_bind(host, allowed_hosts, allowed_origins)
        self.app = create_app(backend=self.backend, boundary=self.boundary)
        self._asgi = wrap(self.app) if wrap else self.app
        self.host = host
        self.port = port
        self._server: PromptServer | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}{API_PATH}"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def token(self) -> str:
        """The control token `/_emulator/*` needs (header X-Emulator-Token), on every bind."""
        return self.boundary.token

    @property
    def control_headers(self) -> dict[str, str]:
        """The headers a request to `/_emulator/*` carries: the control token."""
        return {TOKEN_HEADER_NAME: self.boundary.token}

    def start(self) -> EmulatorServer:
        sock = listen(self.host, self.port)
        self.port = sock.getsockname()[1]
        self._socket = sock
        config = _config(self._asgi, self.host, self.port, self.backend.options)
        self._server = PromptServer(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name=f"emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise EmulatorError(f"the emulator did not start on {self.host}:{self.port}")
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        loop = self.app.state.loop
        if self._server is not None and loop is not None and self._server.started:
            # end open streams and background runs first, or uvicorn waits on them
            with contextlib.suppress(Exception):
                self._call(self.backend.shutdown())
        if self._server is not None:
            self._server.request_exit()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _call(self, coro: Any, timeout: float = 30) -> Any:
        loop = self.app.state.loop
        if loop is None or self._thread is None:
            # not serving: run it directly
            return asyncio.run(coro)
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=timeout)

    def answer(
        self, method: str, url: str, headers: Any, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Serve one request in process, without a socket: the app is called directly on the
        server's event loop (a stream is answered whole once it ends)."""
        request = asgi_request(self._asgi, method, url, headers, body)
        return self._call(request, timeout=ANSWER_TIMEOUT)  # type: ignore[no-any-return]

    def call(self, coro: Any, timeout: float = 30) -> Any:
        """Run a coroutine on the server's event loop (where all emulator state lives)."""
        return self._call(coro, timeout)

    def reset(self, seed: str | None = None, brain: BrainSource = None) -> None:
        """Forget all objects and stop all background work; then use `brain` (default: the
        rules the server started with) and, with a `seed`, reproducible ids and time."""
        self._call(self.backend.reset(seed=seed, brain=brain))

    def set_brain(self, rules: BrainSource) -> None:
        """Replace the brain's rules until the next reset (dict, list, a JSON/YAML path, or
        None for the defaults)."""

        async def swap() -> None:
            self.backend.set_brain(rules)

        self._call(swap())


async def asgi_request(
    app: Any, method: str, url: str, headers: Any, body: bytes
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Call an ASGI app with one HTTP request and collect its whole response."""
    parts = urlsplit(url)
    items = headers.multi_items() if hasattr(headers, "multi_items") else _pairs(headers)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method.upper(),
        "scheme": parts.scheme or "http",
        "path": unquote(parts.path),
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in items],
        "client": ("127.0.0.1", 0),
        "server": (parts.hostname or "127.0.0.1", parts.port or 80),
    }
    sent = False
    status = 500
    out_headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # no disconnect: the client waits for the whole answer
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            out_headers.extend(
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])
            )
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, out_headers, b"".join(chunks)


def _pairs(headers: Any) -> list[tuple[str, str]]:
    pairs = []
    for name, value in dict(headers).items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, one))
    return pairs


def serve(
    port: int,
    brain: BrainSource | Brain = None,
    host: str = "127.0.0.1",
    options: EmulatorOptions | None = None,
    allowed_hosts: tuple[str, ...] = (),
    allowed_origins: tuple[str, ...] = (),
) -> None:
    """Serve the emulator until interrupted or terminated (the `harness emulator` command)."""
    options = options or EmulatorOptions()
    boundary = Boundary.for_bind(host, allowed_hosts, allowed_origins)
    app = create_app(brain, options, boundary=boundary)
    isolation = describe_isolation(options.code_isolation)
    sock = listen(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    say = functools.partial(print, file=sys.stderr, flush=True)
    say(f"harness emulator: serving http://{shown}:{bound}{API_PATH} (Ctrl+C to stop)")
    say(f"harness emulator: code_interpreter {isolation}")
    if not boundary.loopback:
        say(_BEYOND_LOOPBACK.format(host=host))
    say(f"harness emulator: control http://{shown}:{bound}/_emulator/ needs the header")
    say(f"harness emulator: {TOKEN_HEADER_NAME}: {boundary.token}")
    try:
        server = PromptServer(_config(app, host, port, options), on_exit=app.state.backend.shutdown)
        server.run(sockets=[sock])
    finally:
        sock.close()


_BEYOND_LOOPBACK = """\
harness emulator: WARNING: listening on {host}, beyond loopback.
harness emulator: WARNING: anyone who can reach this port can create runs, read every object,
harness emulator: WARNING: and run Python on this machine through code_interpreter. Serve it
harness emulator: WARNING: only on a network you trust; /_emulator/* needs the token below."""
