"""What happens to each HTTP request a test makes while a cassette is active.

Assistants API traffic (to the API's host, on a path of `harness.api`'s
operation table, under any base path) is answered from the cassette when it
holds the request, else recorded: answered by the in-process emulator, or let
through to a live server and recorded on the way back. A request replay cannot
answer fails the test with the nearest recorded requests. An `override` (a fault
overlay, `harness.faults`) may answer an API request first. Every other request
(another host, a path outside the API) is never recorded: it goes through while
recording and is refused in replay, unless another cassette (pytest-recording's)
is in charge of it. The same object serves vcrpy's transport patches
(`harness.adapters.vcrpy`) and the in-memory clients of mutation replay.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from harness import api
from harness.cassette.matching import describe, explain_miss
from harness.cassette.model import Request, Response
from harness.cassette.player import Player
from harness.cassette.recorder import Recorder
from harness.cassette.redact import Redactor, credentials
from harness.cassette.wire import request_from_http, response_from_vcr, response_to_http
from harness.errors import ForeignRequestError, UnmatchedRequestError

Responder = Callable[[str, str, Any, bytes], tuple[int, list[tuple[str, str]], bytes]]
"""Answers a request in process: (method, url, headers, body) -> (status, headers, body)."""
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def as_vcr(self) -> dict[str, Any]:
        """The response as vcrpy's stubs take it."""
        grouped: dict[str, list[str]] = {}
        for name, value in self.headers:
            grouped.setdefault(name, []).append(value)
        return {
            "status": {"code": self.status, "message": None},
            "headers": grouped,
            "body": {"string": self.body},
        }


Override = Callable[[str, str, Any, bytes, Request], HttpResponse | None]
"""Answers an API request before the cassette does (fault overlays): (method, url, headers,
body, the request as a recording keeps it) -> the response, or None to go on as usual; an
`UnmatchedRequestError` it raises fails the test like a replay miss."""


def origin(url: str) -> tuple[str, int]:
    """(host, port) of a URL, the default port filled in."""
    parts = urlsplit(url)
    return _origin(parts.scheme, parts.netloc)


@functools.lru_cache(maxsize=256)
def _origin(scheme: str, netloc: str) -> tuple[str, int]:
    # Memoized: every request of a test goes to the same few hosts.
    parts = urlsplit(f"{scheme}://{netloc}")
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
    except ValueError:
        port = 0
    return host, port


class Interception:
    """Answers, records or refuses one test's HTTP requests (see the module docstring)."""

    def __init__(
        self,
        *,
        player: Player | None,
        recorder: Recorder | None,
        redactor: Redactor,
        api_urls: tuple[str, ...],
        source: str,
        rerecord_hint: str,
        responder: Responder | None = None,
        others_pass: bool = False,
        check: Callable[[Request], Response | None] | None = None,
        override: Override | None = None,
    ) -> None:
        self.player = player
        self.recorder = recorder
        self.redactor = redactor
        self.api_origins = {origin(url) for url in api_urls}
        self.api_url = api_urls[0] if api_urls else ""
        self.source = source
        self.rerecord_hint = rerecord_hint
        self.responder = responder
        self.others_pass = others_pass
        self.check = check
        self.override = override
        self.misses: list[UnmatchedRequestError | ForeignRequestError] = []
        self.base_paths: list[str] = []
        self._lock = threading.Lock()
        self._learned: set[tuple[tuple[str, str], ...]] = set()

    # -- the two questions a transport asks ---------------------------------

    def answer(self, method: str, url: str, headers: Any, body: bytes) -> HttpResponse | None:
        """The response to serve, or None to let the request go to the network."""
        request = self.parse(method, url, headers, body)
        if request is None:
            self._other(method, url)
            return None
        if self.override is not None:
            try:
                answered = self.override(method, url, headers, body, self._as_recorded(request))
            except UnmatchedRequestError as exc:
                raise self._fail(exc) from None
            if answered is not None:
                return answered
        if self.check is not None:
            rejected = self.check(request)
            if rejected is not None:
                return self._render(rejected)
        if self.player is not None:
            with self._lock:
                # What its credential headers hold is learned from every request; the request
                # is redacted only when it does not match as it is (most carry nothing that
                # redaction changes, and one that did cannot match the recording unredacted).
                redactor = self._learning(request)
                found = self.player.find(request) or self.player.find(redactor.request(request))
            if found is not None:
                return self._render(found)
        if self.recorder is None:
            recorded = self.player.recorded_requests() if self.player else iter(())
            raise self._fail(
                UnmatchedRequestError(
                    f"No recorded response for {describe(request)} in {self.source}.\n"
                    f"{explain_miss(request, recorded)}\n"
                    f"To re-record this test: {self.rerecord_hint}"
                )
            )
        if self.responder is None:
            return None  # a live server answers; `record` is told afterwards
        status, response_headers, content = self.responder(method, url, headers, body)
        self.recorder.add(request, response_from_vcr(_vcr(status, response_headers, content)))
        return HttpResponse(status, response_headers, content)

    def record(
        self, method: str, url: str, headers: Any, body: bytes, response: dict[str, Any]
    ) -> None:
        """A request that went to the network was answered: keep it if it is API traffic."""
        if self.recorder is None:
            return
        request = self.parse(method, url, headers, body)
        if request is not None:
            self.recorder.add(request, response_from_vcr(response))

    # -- helpers --------------------------------------------------------------

    def parse(self, method: str, url: str, headers: Any, body: bytes) -> Request | None:
        """The request as a cassette keeps it, or None when it is not Assistants traffic."""
        if origin(url) not in self.api_origins:
            return None
        base = _api_base(method, urlsplit(url).path)
        if base is None:
            return None
        if base not in self.base_paths:
            self.base_paths.append(base)
        return request_from_http(method, url, headers, body, base)

    def _other(self, method: str, url: str) -> None:
        """Not Assistants traffic: let it through, or refuse it in replay."""
        if self.recorder is not None or self.others_pass:
            return
        where = urlsplit(url)
        shown = f"{method} {where.scheme}://{where.netloc}{where.path}"
        raise self._fail(
            ForeignRequestError(
                f"{shown} is not Assistants API traffic (the API is at {self.api_url}): "
                "replay serves only Assistants API requests and refuses others; mock this "
                "request, or mark the test `vcr` so pytest-recording handles it"
            )
        )

    def _fail(
        self, error: UnmatchedRequestError | ForeignRequestError
    ) -> UnmatchedRequestError | ForeignRequestError:
        with self._lock:
            self.misses.append(error)
        return error

    def _render(self, response: Response) -> HttpResponse:
        headers, body = self.player.wire(response) if self.player else response_to_http(response)
        return HttpResponse(response.status, headers, body)

    def _as_recorded(self, request: Request) -> Request:
        """The request as a recording would have kept it: redacted, so it can match a
        recorded one whose secrets were replaced."""
        return self._learning(request).request(request)

    def _learning(self, request: Request) -> Redactor:
        """The redactor, having learned what `request` carries. Headers already learned from
        are not looked at again (a client sends the same key with every request), so a
        request without query or body costs no more than a dict lookup."""
        headers = tuple(request.headers.items())
        if (
            headers in self._learned
            and not request.query
            and request.body is None
            and request.multipart is None
        ):
            return self.redactor
        learned = self.redactor.learning(credentials(request))
        if len(self._learned) < 64:  # bounded: one entry per distinct set of headers
            self._learned.add(headers)
        return learned


@functools.lru_cache(maxsize=4096)
def _api_base(method: str, path: str) -> str | None:
    """The API base path of an Assistants request, or None for another path (memoized: a
    polling client asks for the same path again and again)."""
    located = api.locate(method, path)
    return None if located is None else located.base


def _vcr(status: int, headers: list[tuple[str, str]], body: bytes) -> dict[str, Any]:
    return HttpResponse(status, headers, body).as_vcr()
