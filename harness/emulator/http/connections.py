"""Connections that owe the server bytes: a deadline for headers, a stall limit for bodies.

uvicorn closes idle keep-alive connections but sets no deadline on a request's
headers: a client that opens connections and sends half a request holds each
one (and a file descriptor) forever, until real clients cannot connect
(slowloris). `guarded_protocol` makes uvicorn's HTTP/1.1 protocol

- close a connection whose request headers are not complete `header_timeout`
  seconds after it opened (or after its last response, plus uvicorn's
  keep-alive time, which an idle connection has to send its next request);
- close a connection whose request body stalls: no byte for `header_timeout`
  seconds while the server waits for one;
- keep at most `max_pending` connections waiting for headers: one more closes
  the one that has waited longest, so file descriptors never run out however
  fast connections are opened (by default half of the process's open-file
  limit).

The work per request is a timer and a dict entry; per received chunk, one addition.
"""

from __future__ import annotations

import asyncio
import resource
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

MIN_PENDING = 64


def default_max_pending() -> int:
    """Half of this process's open-file limit: the other half serves real requests."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 32768
    return max(MIN_PENDING, soft // 2)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with deadlines; `guarded_protocol` sets the class settings."""

    header_timeout: ClassVar[float] = 20.0
    max_pending: ClassVar[int] = 1024
    # connections waiting for request headers, oldest first (one table per server's class)
    pending: ClassVar[dict[GuardedH11Protocol, None]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timer: asyncio.TimerHandle | None = None
        self._awaited: Any = None  # the cycle before the request whose headers we await
        self._received = 0
        self._seen = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers(self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._received += len(data)
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        if self in self.pending and self.cycle is not self._awaited:
            self._disarm()  # the headers came
            if self.conn.their_state is h11.SEND_BODY:
                self._seen = self._received
                self._timer = self.loop.call_later(self.header_timeout, self._body_stalled)

    def on_response_complete(self) -> None:
        # armed first: the pipelined request that `super()` may start disarms it
        if not self.transport.is_closing():
            self._await_headers(self.timeout_keep_alive + self.header_timeout)
        super().on_response_complete()

    def _await_headers(self, delay: float) -> None:
        self._disarm()
        self._awaited = self.cycle
        self._timer = self.loop.call_later(delay, self._close)
        pending = self.pending
        pending[self] = None
        if len(pending) > self.max_pending:
            next(iter(pending))._close()

    def _body_stalled(self) -> None:
        self._timer = None
        if self.conn.their_state is not h11.SEND_BODY or self.transport.is_closing():
            return
        if self._received == self._seen and not self.flow.read_paused:  # paused: ours to read
            self._close()
            return
        self._seen = self._received
        self._timer = self.loop.call_later(self.header_timeout, self._body_stalled)

    def _disarm(self) -> None:
        self.pending.pop(self, None)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _close(self) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.close()


def guarded_protocol(header_timeout: float, max_pending: int | None) -> type[GuardedH11Protocol]:
    """A protocol class for one server: its own deadline, cap and table of waiting
    connections."""
    settings = {
        "header_timeout": header_timeout,
        "max_pending": max_pending or default_max_pending(),
        "pending": {},
    }
    return type("GuardedH11Protocol", (GuardedH11Protocol,), settings)
