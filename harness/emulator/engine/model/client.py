"""A small Chat Completions client on asyncio streams and h11, with a deadline on every answer.

It speaks Chat Completions; to an endpoint of `api: responses` it speaks the
Responses API, translating each request and answer (`upstream.py`).

It deliberately does not use httpx or httpx2: while a test records, vcrpy
patches their transports in the whole process, so every request they make
would pass through the test's cassette interception (which keeps only
Assistants API operations, but would still govern the model's traffic). Plain
asyncio sockets are patched by nothing, cancel cleanly when a run stops, and
keep the emulator's event loop free while the model thinks. One connection
per answer; no proxies.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import h11

from harness.api import sse
from harness.emulator.engine.model import shape, upstream
from harness.emulator.errors import EmulatorError
from harness.encodings import every_form

Obj = dict[str, Any]
_T = TypeVar("_T")
MAX_BODY_BYTES = 32 * 1024 * 1024
READ_BYTES = 65536


class EndpointError(EmulatorError):
    """The model endpoint could not give an answer; `code` is the run's `last_error.code`."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = "rate_limit_exceeded" if status == 429 else "server_error"


_AROUND_MASK = re.compile(r"[A-Za-z0-9+/=_\-]*\*\*\*[A-Za-z0-9+/=_\-]*")


@dataclass(frozen=True)
class Endpoint:
    url: str
    headers: tuple[tuple[str, str], ...]
    timeout: float
    secret: str | None = None
    """Removed from anything quoted back from the endpoint."""
    api: str = upstream.CHAT_COMPLETIONS

    @property
    def responses(self) -> bool:
        return self.api == upstream.RESPONSES

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    def clean(self, text: str) -> str:
        """One line of at most 300 characters, without the secret."""
        if self.secret:
            # A server may quote the key back percent-encoded, escaped, hex or base64.
            for form in every_form(self.secret):
                text = text.replace(form, "***")
            # What is left of a base64 run around a replaced piece is the key's edge.
            text = _AROUND_MASK.sub("***", text)
        text = " ".join(text.split())
        return text if len(text) <= 300 else text[:297] + "..."


class _Exchange:
    """One request and its response on its own connection, under one deadline."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.loop = asyncio.get_running_loop()
        self.deadline = self.loop.time() + endpoint.timeout
        self.conn = h11.Connection(our_role=h11.CLIENT)
        self.writer: asyncio.StreamWriter | None = None
        self.reader: asyncio.StreamReader | None = None

    async def _within(self, awaitable: Any, doing: str) -> Any:
        left = self.deadline - self.loop.time()
        try:
            if left <= 0:
                raise asyncio.TimeoutError
            return await asyncio.wait_for(awaitable, left)
        except asyncio.TimeoutError:
            raise EndpointError(
                f"the model endpoint at {self.endpoint.host} did not {doing} within "
                f"{self.endpoint.timeout:g} s (model.timeout)"
            ) from None
        except (OSError, ssl.SSLError) as exc:
            reason = self.endpoint.clean(exc.strerror or str(exc) or type(exc).__name__)
            raise EndpointError(
                f"cannot reach the model endpoint at {self.endpoint.host}: {reason}"
            ) from None

    async def send(self, body: bytes) -> h11.Response:
        parts = urlsplit(self.endpoint.url)
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        context = ssl.create_default_context() if https else None
        self.reader, self.writer = await self._within(
            asyncio.open_connection(parts.hostname, port, ssl=context), "accept a connection"
        )
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = [
            ("Host", parts.netloc),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
            *self.endpoint.headers,
        ]
        data = self.conn.send(h11.Request(method="POST", target=target, headers=headers))
        data += self.conn.send(h11.Data(data=body)) + self.conn.send(h11.EndOfMessage())
        self.writer.write(data)
        await self._within(self.writer.drain(), "take the request")
        event = await self._next()
        if not isinstance(event, h11.Response):
            raise EndpointError(f"the model endpoint at {self.endpoint.host} sent no response")
        return event

    async def _next(self) -> Any:
        assert self.reader is not None
        while True:
            try:
                event = self.conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise EndpointError(
                    f"the model endpoint at {self.endpoint.host} broke HTTP/1.1: {exc}"
                ) from None
            if event is not h11.NEED_DATA:
                return event
            chunk = await self._within(self.reader.read(READ_BYTES), "answer")
            self.conn.receive_data(chunk)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The response body as it arrives."""
        size = 0
        while True:
            event = await self._next()
            if isinstance(event, h11.Data):
                size += len(event.data)
                if size > MAX_BODY_BYTES:
                    raise EndpointError(
                        f"the model endpoint at {self.endpoint.host} sent more than "
                        f"{MAX_BODY_BYTES} bytes"
                    )
                yield bytes(event.data)
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                return

    async def body(self) -> bytes:
        return b"".join([chunk async for chunk in self.chunks()])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _not_standard(constant: str) -> Any:
    raise ValueError(f"{constant}, which JSON does not have")


def _json(raw: bytes, endpoint: Endpoint) -> Any:
    try:
        return json.loads(raw, parse_constant=_not_standard)
    except RecursionError:  # nesting deeper than Python's recursion limit
        raise EndpointError(
            f"the model endpoint at {endpoint.host} answered with JSON nested too deeply to read"
        ) from None
    except ValueError as exc:
        what = str(exc) if str(exc).endswith("JSON does not have") else "something that is not JSON"
        raise EndpointError(
            f"the model endpoint at {endpoint.host} answered with {what}: "
            f"{endpoint.clean(raw[:200].decode('utf-8', 'replace'))!r}"
        ) from None


def _answer(raw: bytes, endpoint: Endpoint, what: str = "an answer") -> dict[str, Any]:
    """The Chat Completions JSON object of an answer or a chunk (translated from the
    Responses API where the endpoint speaks it), its fields of the types the API sends."""
    data = _object(raw, endpoint, what)
    if endpoint.responses:  # a Responses object always has `error` (null when none)
        data = _translated(upstream.completion, data, endpoint)
    if "error" not in data:
        wrong = shape.problem(data)
        if wrong is not None:
            raise EndpointError(
                f"the model endpoint at {endpoint.host} sent {what} whose {endpoint.clean(wrong)}"
            )
    return data


def _object(raw: bytes, endpoint: Endpoint, what: str) -> dict[str, Any]:
    data = _json(raw, endpoint)
    if not isinstance(data, dict):
        raise EndpointError(
            f"the model endpoint at {endpoint.host} answered with a non-object "
            f"({type(data).__name__}) as {what}"
        )
    return data


def _translated(translate: Callable[[Obj], _T], data: Obj, endpoint: Endpoint) -> _T:
    """`translate(data)`, a Responses API answer or event read as Chat Completions; what it
    cannot read ends the run with one line."""
    try:
        return translate(data)
    except upstream.UpstreamFailed as exc:
        raise _failed(exc, endpoint) from None
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise EndpointError(
            f"the model endpoint at {endpoint.host} sent a Responses API answer that cannot "
            f"be read ({type(exc).__name__}: {endpoint.clean(str(exc)[:200])})"
        ) from None


async def _refusal(exchange: _Exchange, status: int) -> EndpointError:
    endpoint = exchange.endpoint
    try:
        raw = await exchange.body()
    except EndpointError:
        raw = b""
    detail = raw[:2000].decode("utf-8", "replace")
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    error = parsed.get("error") if isinstance(parsed, dict) else parsed
    if isinstance(error, dict) and error.get("message"):
        detail = str(error["message"])
    elif isinstance(error, str):
        detail = error
    hint = ""
    if status in (401, 403):
        hint = " (check the key in the variable named by model.api_key_env)"
    return EndpointError(
        f"the model endpoint at {endpoint.host} answered {status}{hint}: {endpoint.clean(detail)}",
        status=status,
    )


def _failed(exc: upstream.UpstreamFailed, endpoint: Endpoint) -> EndpointError:
    return EndpointError(
        f"the model endpoint at {endpoint.host} failed the response: {endpoint.clean(str(exc))}"
    )


def _sent(endpoint: Endpoint, request: dict[str, Any]) -> bytes:
    return json.dumps(upstream.request(request) if endpoint.responses else request).encode()


async def complete(endpoint: Endpoint, request: dict[str, Any]) -> dict[str, Any]:
    """POST a Chat Completions request; the answer's JSON, or EndpointError."""
    exchange = _Exchange(endpoint)
    try:
        head = await exchange.send(_sent(endpoint, request))
        if head.status_code != 200:
            raise await _refusal(exchange, head.status_code)
        return _answer(await exchange.body(), endpoint)
    finally:
        exchange.close()


async def stream(endpoint: Endpoint, request: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    """POST a streaming request; yield each chunk's JSON as its server-sent event arrives (a
    server that answers with one JSON completion instead yields that)."""
    exchange = _Exchange(endpoint)
    chunks = upstream.Chunks() if endpoint.responses else None
    try:
        head = await exchange.send(_sent(endpoint, request))
        if head.status_code != 200:
            raise await _refusal(exchange, head.status_code)
        content_type = dict(head.headers).get(b"content-type", b"")
        if not content_type.startswith(b"text/event-stream"):
            yield _answer(await exchange.body(), endpoint)
            return
        decoder = sse.Decoder()
        async for chunk in exchange.chunks():
            for _, payload in decoder.feed(chunk):
                if payload.strip() == "[DONE]":
                    return
                for event in _events(payload, endpoint, chunks):
                    yield event
        for _, payload in decoder.close():
            if payload.strip() != "[DONE]":
                for event in _events(payload, endpoint, chunks):
                    yield event
    except upstream.UpstreamFailed as exc:
        raise _failed(exc, endpoint) from None
    finally:
        exchange.close()


def _events(payload: str, endpoint: Endpoint, chunks: upstream.Chunks | None) -> list[Obj]:
    """The Chat Completions chunks one server-sent event stands for."""
    if not payload.strip():  # an `event:` line without data, or a keep-alive
        return []
    if chunks is None:
        event = _answer(payload.encode(), endpoint, "a stream chunk")
    else:  # a Responses API event, read by the translator
        event = _object(payload.encode(), endpoint, "a stream event")
    if chunks is None and "error" in event:
        error = event["error"]
        message = error.get("message") or error if isinstance(error, dict) else error
        raise EndpointError(
            f"the model endpoint at {endpoint.host} sent an error mid-answer: "
            f"{endpoint.clean(str(message))}"
        )
    return [event] if chunks is None else _translated(chunks.feed, event, endpoint)
