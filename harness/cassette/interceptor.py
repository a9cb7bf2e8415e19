"""The transport patch: vcrpy's httpx/httpx2 stubs, driven by our player.

vcrpy patches the transports of both SDK majors (`httpx` for openai 2.x,
`httpx2` for 3.x) and asks a cassette object four questions per request.
`Interception` answers them with the indexed player and the recorder instead
of vcrpy's list scan. While active, the SDK's poll and retry waits are
skipped in replay, so replay never sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from vcr.patch import PATCHER_NAMES, CassettePatcherBuilder
from vcr.request import HeadersDict
from vcr.request import Request as VcrRequest

from harness.cassette.matching import describe, explain_miss
from harness.cassette.model import Request, Response
from harness.cassette.player import Player
from harness.cassette.recorder import Recorder
from harness.cassette.redact import Redactor, credentials
from harness.cassette.wire import request_from_http, response_from_vcr
from harness.errors import UnmatchedRequestError

CONTROL_PATH = "/_emulator/"


class Interception:
    """The object vcrpy's stubs talk to while a cassette is active."""

    # vcrpy reads these attributes when it builds its patchers.
    skip_patchers = tuple(name for name in PATCHER_NAMES if name not in ("httpx", "httpx2"))
    custom_patches = ()

    def __init__(
        self,
        *,
        player: Player | None,
        recorder: Recorder | None,
        base_path: str,
        source: str,
        rerecord_hint: str,
        redactor: Redactor | None = None,
    ) -> None:
        self.player = player
        self.redactor = redactor
        self.recorder = recorder
        self.base_path = base_path
        self._path = source
        self.rerecord_hint = rerecord_hint
        self.misses: list[UnmatchedRequestError] = []
        self._ready: dict[int, Response] = {}
        self._lock = threading.Lock()

    # --- the questions vcrpy asks -------------------------------------------

    @property
    def write_protected(self) -> bool:
        return self.recorder is None

    def can_play_response_for(self, vcr_request: Any) -> bool:
        if self.player is None:
            return False
        request = self._as_recorded(self._request(vcr_request))
        with self._lock:
            response = self.player.find(request)
        if response is None:
            return False
        self._ready[id(vcr_request)] = response
        return True

    def play_response(self, vcr_request: Any) -> dict[str, Any]:
        response = self._ready.pop(id(vcr_request))
        assert self.player is not None
        headers, body = self.player.wire(response)
        return {
            "status": {"code": response.status, "message": None},
            "headers": _multi(headers),
            "body": {"string": body},
        }

    def filter_request(self, vcr_request: Any) -> Any:
        """Called only when replay may not record: the request is unmatched."""
        request = self._as_recorded(self._request(vcr_request))
        if request.path.startswith(CONTROL_PATH):
            return None
        recorded = self.player.recorded_requests() if self.player else iter(())
        error = UnmatchedRequestError(
            f"No recorded response for {describe(request)} in {self._path}.\n"
            f"{explain_miss(request, recorded)}\n"
            f"To re-record this test: {self.rerecord_hint}"
        )
        with self._lock:
            self.misses.append(error)
        raise error

    def append(self, vcr_request: Any, vcr_response: dict[str, Any]) -> None:
        request = self._request(vcr_request)
        if self.recorder is None or request.path.startswith(CONTROL_PATH):
            return
        self.recorder.add(request, response_from_vcr(vcr_response))

    # --- helpers --------------------------------------------------------------

    def _as_recorded(self, request: Request) -> Request:
        """The request as a recording would have kept it: redacted, so it can
        match a recorded one whose secrets were replaced."""
        if self.redactor is None:
            return request
        return self.redactor.learning(credentials(request)).request(request)

    def _request(self, vcr_request: Any) -> Request:
        # A `_LazyVcrRequest` carries httpx's own headers: read those directly.
        headers = getattr(vcr_request, "http_headers", None)
        return request_from_http(
            vcr_request.method,
            vcr_request.uri,
            vcr_request.headers if headers is None else headers,
            vcr_request.body,
            self.base_path,
        )


class _LazyVcrRequest(VcrRequest):  # type: ignore[misc]  # vcrpy ships no types
    """vcrpy's request, with the headers converted only if someone asks.

    vcrpy's httpx stubs build a `vcr.request.Request` for every request and
    hand it only to the active cassette, which is us. Building its
    `HeadersDict` from httpx headers (and parsing the URL) costs more than
    all the rest of our replay layer, and we read httpx's headers directly;
    vcrpy code that does read `.headers` or `.parsed_uri` still gets them.
    """

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
            from urllib.parse import urlparse

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


def _make_lazy_vcr_request(real_request: Any, real_request_body: bytes) -> _LazyVcrRequest:
    return _LazyVcrRequest(
        real_request.method, str(real_request.url), real_request_body, real_request.headers
    )


def _multi(headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name, []).append(value)
    return grouped


@contextlib.contextmanager
def intercept(interception: Interception, *, skip_waits: bool, skip_sleep: bool) -> Iterator[None]:
    """Patch the HTTP transports (and, in replay, the SDK's waits)."""
    with contextlib.ExitStack() as stack:
        for patcher in CassettePatcherBuilder(interception).build():
            stack.enter_context(patcher)
        stack.enter_context(_lazy_vcr_requests())
        if skip_waits:
            stack.enter_context(_no_sdk_waits())
        if skip_sleep:
            stack.enter_context(_no_sleep())
        yield


@contextlib.contextmanager
def _lazy_vcr_requests() -> Iterator[None]:
    """Have vcrpy's httpx stubs build `_LazyVcrRequest`s (a private hook of
    vcrpy 9.4; without it, vcrpy's own eager request is used and read)."""
    from unittest import mock

    try:
        from vcr.stubs import httpx_stubs
    except ImportError:
        yield
        return
    if not callable(getattr(httpx_stubs, "_make_vcr_request", None)):
        yield
        return
    with mock.patch.object(httpx_stubs, "_make_vcr_request", _make_lazy_vcr_request):
        yield


@contextlib.contextmanager
def _no_sdk_waits() -> Iterator[None]:
    """Skip the openai SDK's poll-helper and retry waits (private hooks)."""
    from unittest import mock

    targets: list[tuple[str, str, Any]] = [
        ("openai._resource", "SyncAPIResource._sleep", lambda self, seconds: None),
        ("openai._resource", "AsyncAPIResource._sleep", _async_noop),
        ("openai._base_client", "SyncAPIClient._sleep_for_retry", lambda *a, **k: None),
        ("openai._base_client", "AsyncAPIClient._sleep_for_retry", _async_noop),
    ]
    with contextlib.ExitStack() as stack:
        for module_name, attribute, replacement in targets:
            owner_name, method = attribute.split(".")
            try:
                module = __import__(module_name, fromlist=[owner_name])
                owner = getattr(module, owner_name)
            except (ImportError, AttributeError):
                continue
            if hasattr(owner, method):
                stack.enter_context(mock.patch.object(owner, method, replacement))
        yield


async def _async_noop(*args: Any, **kwargs: Any) -> None:
    return None


@contextlib.contextmanager
def _no_sleep() -> Iterator[None]:
    """Make `time.sleep` and `asyncio.sleep` return at once (opt-in)."""
    from unittest import mock

    real_async_sleep = asyncio.sleep

    async def instant(delay: float, result: Any = None) -> Any:
        await real_async_sleep(0)
        return result

    with (
        mock.patch.object(time, "sleep", lambda seconds: None),
        mock.patch.object(asyncio, "sleep", instant),
    ):
        yield
