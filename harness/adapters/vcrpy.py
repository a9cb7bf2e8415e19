"""vcrpy: its httpx / httpx2 transport stubs, answered by a harness `Interception`.

vcrpy's stubs read the request body, ask a "cassette" whether it can play a
response, and otherwise send the request for real and hand the response back
to be recorded. The harness is that cassette (`VcrFace`). Its stubs are
installed over whatever method is in place when a cassette becomes active, so
another cassette already active (pytest-recording's, for a test marked `vcr`
too) still sees the traffic the harness lets through.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from typing import Any, Protocol
from unittest import mock

# (module, attribute) of every vcrpy name used here; the last one is private.
HOOKS = (
    ("vcr.stubs.httpx_stubs", "vcr_handle_request"),
    ("vcr.stubs.httpx_stubs", "vcr_handle_async_request"),
    ("vcr.request", "Request"),
    ("vcr.request", "HeadersDict"),
    ("vcr.stubs.httpx_stubs", "_make_vcr_request"),
    ("vcr.stubs.httpx_stubs", "_play_responses"),
)
TRANSPORTS = (
    ("HTTPTransport", "handle_request", "vcr_handle_request"),
    ("AsyncHTTPTransport", "handle_async_request", "vcr_handle_async_request"),
)


def missing_hooks() -> list[str]:
    """The vcrpy names this adapter needs that the installed vcrpy lacks."""
    missing = []
    for module_name, attribute in HOOKS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            missing.append(f"{module_name} (module)")
            continue
        if not hasattr(module, attribute):
            missing.append(f"{module_name}.{attribute}")
    return missing


class Handler(Protocol):
    """What answers the traffic (`harness.cassette.interception.Interception`)."""

    def answer(self, method: str, url: str, headers: Any, body: bytes) -> Any:
        """A response to serve (`status`, `headers` as (name, value) pairs, `body` bytes, and
        `.as_vcr()`), or None to let the request through."""

    def record(
        self, method: str, url: str, headers: Any, body: bytes, response: dict[str, Any]
    ) -> None:
        """A request that went through was answered (vcrpy's response dict)."""


class VcrFace:
    """What vcrpy's stubs ask of a cassette, answered by a `Handler`."""

    write_protected = False  # decisions are made in `can_play_response_for`

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self._ready: dict[int, Any] = {}

    def can_play_response_for(self, vcr_request: Any) -> bool:
        response = self.handler.answer(*_parts(vcr_request))
        if response is None:
            return False
        self._ready[id(vcr_request)] = response
        return True

    def play_response(self, vcr_request: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self._ready.pop(id(vcr_request)).as_vcr()
        return answer

    def play_http(self, vcr_request: Any, http: Any) -> Any:
        """The response as `http` (httpx or httpx2) takes it, built straight from the answer's
        header pairs (vcrpy's own way groups them into a dict of lists and back)."""
        answer = self._ready.pop(id(vcr_request))
        return http.Response(
            answer.status, headers=answer.headers, stream=http.ByteStream(answer.body)
        )

    def filter_request(self, vcr_request: Any) -> Any:
        return None

    def append(self, vcr_request: Any, vcr_response: dict[str, Any]) -> None:
        self.handler.record(*_parts(vcr_request), vcr_response)


def _parts(vcr_request: Any) -> tuple[str, str, Any, bytes]:
    # A `_LazyRequest` carries httpx's own headers: read those directly.
    headers = getattr(vcr_request, "http_headers", None)
    return (
        vcr_request.method,
        vcr_request.uri,
        vcr_request.headers if headers is None else headers,
        vcr_request.body or b"",
    )


@contextlib.contextmanager
def patch_transports(handler: Handler) -> Iterator[None]:
    """Route httpx and httpx2 transports through `handler` while active."""
    from vcr.stubs import httpx_stubs

    face = VcrFace(handler)
    with contextlib.ExitStack() as stack:
        for module_name in ("httpx", "httpx2"):
            try:
                http = importlib.import_module(module_name)
            except ImportError:
                continue
            for class_name, method, stub_name in TRANSPORTS:
                owner = getattr(http, class_name)
                stub = getattr(httpx_stubs, stub_name)(face, getattr(owner, method), http)
                stack.enter_context(mock.patch.object(owner, method, stub))
        if callable(getattr(httpx_stubs, "_make_vcr_request", None)):
            stack.enter_context(
                mock.patch.object(httpx_stubs, "_make_vcr_request", _make_lazy_request)
            )
        played = getattr(httpx_stubs, "_play_responses", None)
        if callable(played):
            stack.enter_context(
                mock.patch.object(httpx_stubs, "_play_responses", _direct_play(played))
            )
        yield


def _direct_play(original: Any) -> Any:
    """vcrpy's `_play_responses`, which a harness face answers directly (another cassette,
    pytest-recording's, still plays its own way)."""

    def play(cassette: Any, vcr_request: Any, http: Any) -> Any:
        if isinstance(cassette, VcrFace):
            return cassette.play_http(vcr_request, http)
        return original(cassette, vcr_request, http)

    return play


def _make_lazy_request(real_request: Any, real_request_body: bytes) -> Any:
    return _lazy_request_class()(
        real_request.method, str(real_request.url), real_request_body, real_request.headers
    )


_LAZY: list[type] = []


def _lazy_request_class() -> type:
    """vcrpy's request, with the headers converted only if someone asks.

    vcrpy's stubs build a `vcr.request.Request` for every request; building its
    `HeadersDict` from httpx headers (and parsing the URL) costs more than all
    the rest of replay, and the harness reads httpx's headers directly. vcrpy
    code that does read `.headers` or `.parsed_uri` still gets them.
    """
    if _LAZY:
        return _LAZY[0]
    from urllib.parse import urlparse

    from vcr.request import HeadersDict
    from vcr.request import Request as VcrRequest

    class _LazyRequest(VcrRequest):  # type: ignore[misc]  # vcrpy ships no types
        def __init__(self, method: str, uri: str, body: Any, headers: Any) -> None:
            self.method = method
            self._uri = uri
            self._parsed_uri: Any = None
            self._was_file = self._was_iter = False
            self.body = body  # bytes: vcrpy's setter keeps them as they are
            self.http_headers = headers
            self._headers: Any = None

        @property
        def uri(self) -> str:
            return self._uri

        @uri.setter
        def uri(self, uri: str) -> None:
            self._uri = uri
            self._parsed_uri = None

        @property
        def parsed_uri(self) -> Any:
            if self._parsed_uri is None:
                self._parsed_uri = urlparse(self._uri)
            return self._parsed_uri

        @property
        def headers(self) -> Any:
            if self._headers is None:
                self._headers = HeadersDict(self.http_headers)
            return self._headers

        @headers.setter
        def headers(self, value: Any) -> None:
            self._headers = value if isinstance(value, HeadersDict) else HeadersDict(value)

    _LAZY.append(_LazyRequest)
    return _LazyRequest
