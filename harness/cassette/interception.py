"""What happens to each HTTP request a test makes while a cassette is active.

API traffic (on a path of `harness.api`'s operation table, under any base path,
to the cassette's host, the SDK's default host, the host the environment named
before the test, or an Azure OpenAI resource: so a client built at import time
is caught too) is answered from the cassette when it holds the request, else
recorded: answered by the in-process emulator, or let through to a live server
and recorded on the way back (one sent to the SDK's default host while recording
against another live server, by a library that does not read OPENAI_BASE_URL, is
carried to that server with its key: never to OpenAI). A request replay cannot answer fails the test
with the nearest recorded requests. An `override` (a fault overlay,
`harness.faults`) may answer an API request first. Every other request (another
host, a path outside the API) is never recorded: while recording it goes where
the app would have sent it (a request the app sent to the harness's own base
URL goes to the `upstream` with the app's key: `harness.cassette.upstream`),
and in replay it is refused, unless another cassette (pytest-recording's) is
in charge of it. A call of an OpenAI API the harness does not record
(`harness.api.OTHER_APIS`: Audio, Embeddings, ...) is refused in replay with one line
naming it, and the Realtime API, whose sessions outlive a request, while recording
too. The same object serves vcrpy's transport patches (`harness.adapters.vcrpy`) and
the in-memory clients of mutation replay.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from harness import api
from harness.cassette.matching import describe, explain_miss
from harness.cassette.model import Request, Response
from harness.cassette.player import Player
from harness.cassette.recorder import Recorder
from harness.cassette.redact import Redactor, credentials
from harness.cassette.upstream import DEFAULT_BASE_URL, Upstream, forward, is_azure_host
from harness.cassette.wire import (
    header_items,
    request_from_http,
    response_from_vcr,
    response_to_http,
)
from harness.errors import (
    CassetteError,
    CassetteFormatError,
    ForeignRequestError,
    UnknownApiError,
    UnmatchedRequestError,
)

_REMEMBERED, _REMEMBERED_BODY = 256, 1 << 16  # distinct requests parsed once; body bytes
Responder = Callable[[str, str, Any, bytes], tuple[int, list[tuple[str, str]], bytes]]
"""Answers a request in process: (method, url, headers, body) -> (status, headers, body)."""
_DEFAULT_PORTS = {"http": 80, "https": 443}
_Failure = TypeVar("_Failure", bound=CassetteError)


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


_SDK_DEFAULT = origin(DEFAULT_BASE_URL)


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
        app_urls: tuple[str, ...] = (),
        upstream: Upstream | None = None,
        live: Upstream | None = None,
    ) -> None:
        """`api_urls`: the harness's own base URLs (the cassette's, the emulator's);
        `app_urls`: those the app's clients may have been built with before the test;
        `upstream`: where other traffic sent to the harness's own base URL goes while
        recording (None: nowhere but where it was sent); `live`: the live server being
        recorded, with its key (None: not recording live)."""
        self.player = player
        self.recorder = recorder
        self.redactor = redactor
        self.api_origins = {origin(url) for url in api_urls}
        self.api_url = api_urls[0] if api_urls else ""
        self.upstream = upstream
        # API requests a client sends to the SDK's default host (a library that reads its
        # own variable, not OPENAI_BASE_URL) belong to the live server being recorded.
        self.live = live if live and origin(live.base_url) != _SDK_DEFAULT else None
        self.own_origins = frozenset(self.api_origins)
        self.api_origins |= {origin(url) for url in app_urls}
        self.source = source
        self.rerecord_hint = rerecord_hint
        self.responder = responder
        self.others_pass = others_pass
        self.check = check
        self.override = override
        self.misses: list[CassetteError] = []
        self.base_paths: list[str] = []
        self._lock = threading.Lock()
        self._learned: set[tuple[tuple[str, str], ...]] = set()
        self._parsed: dict[tuple[str, str, tuple[Any, ...], bytes], Request | None] = {}
        self._rendered: dict[int, tuple[Response, HttpResponse]] = {}

    # -- the two questions a transport asks ---------------------------------

    def answer(self, method: str, url: str, headers: Any, body: bytes) -> HttpResponse | None:
        """The response to serve, or None to let the request go to the network."""
        request = self._parse_again(method, url, headers, body)
        if request is None:
            return self._other(method, url, headers, body)
        if self.override is not None:
            try:
                answered = self.override(method, url, headers, body, self._as_recorded(request))
            except UnmatchedRequestError as exc:
                raise self._fail(exc, request) from None
            if answered is not None:
                return answered
        if self.check is not None:
            rejected = self.check(request)
            if rejected is not None:
                return self._render(rejected)
        if self.player is not None:
            try:
                found = self._find(self.player, request, method, url, headers, body)
            except CassetteFormatError as exc:  # a recorded response read as it is served
                raise self._fail(exc) from None
            if found is not None:
                return self._render(found)
        if self.recorder is None:
            recorded = self.player.recorded_requests() if self.player else iter(())
            raise self._fail(
                UnmatchedRequestError(
                    f"No recorded response for {describe(request)} in {self.source}.\n"
                    f"{explain_miss(request, recorded)}\n"
                    f"To re-record this test: {self.rerecord_hint}"
                ),
                request,
            )
        if self.responder is None:
            if self.live is not None and origin(url) == _SDK_DEFAULT:
                return self._carry(self.live, self.recorder, request, method, url, headers, body)
            return None  # a live server answers; `record` is told afterwards
        if origin(url) not in self.own_origins:
            # A client built before the test (the SDK's default host, say): the emulator
            # answers it as if it had been sent to the emulator's own address.
            url, headers = self._to_own(url, headers)
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

    def _find(
        self, player: Player, request: Request, method: str, url: str, headers: Any, body: bytes
    ) -> Response | None:
        with self._lock:
            # What its credential headers hold is learned from every request; the request
            # is redacted only when it does not match as it is (most carry nothing that
            # redaction changes, and one that did cannot match the recording unredacted).
            redactor = self._learning(request)
            found = player.find(request) or player.find(redactor.request(request))
            if found is None and request.multipart is not None:
                found = player.find(self._legacy(method, url, headers, body))
            return found

    @staticmethod
    def _carry(
        live: Upstream,
        recorder: Recorder,
        request: Request,
        method: str,
        url: str,
        headers: Any,
        body: bytes,
    ) -> HttpResponse:
        """An API request sent to the SDK's default host while recording against another
        live server: answered by that server, with its key, and recorded; never sent to
        OpenAI with a key meant for somewhere else."""
        sent = urlsplit(url)
        base = urlunsplit((sent.scheme, sent.netloc, _api_base(method, sent.path) or "", "", ""))
        status, answer_headers, content = forward(
            live, method, live.rebase(url, base), header_items(headers), body
        )
        recorder.add(request, response_from_vcr(_vcr(status, answer_headers, content)))
        return HttpResponse(status, answer_headers, content)

    def parse(self, method: str, url: str, headers: Any, body: bytes) -> Request | None:
        """The request as a cassette keeps it, or None when it is not Assistants traffic."""
        host_port = origin(url)
        if host_port not in self.api_origins and not is_azure_host(host_port[0]):
            return None
        base = _api_base(method, urlsplit(url).path)
        if base is None:
            return None
        if base not in self.base_paths:
            self.base_paths.append(base)
        return request_from_http(method, url, headers, body, base)

    def _parse_again(self, method: str, url: str, headers: Any, body: bytes) -> Request | None:
        """`parse`, remembered for a request sent again byte for byte (a poll: the same URL,
        headers and body every time), so a poll costs a lookup, not a parse."""
        raw = getattr(headers, "raw", None)  # httpx's header bytes
        if not isinstance(raw, list) or len(body) > _REMEMBERED_BODY:
            return self.parse(method, url, headers, body)
        key = (method, url, tuple(raw), body)
        try:
            return self._parsed[key]
        except KeyError:
            pass
        request = self.parse(method, url, headers, body)
        if len(self._parsed) >= _REMEMBERED:
            self._parsed.clear()  # bounded: one test's distinct requests, at most
        self._parsed[key] = request
        return request

    def _other(self, method: str, url: str, headers: Any, body: bytes) -> HttpResponse | None:
        """Not API traffic: while recording, where the app would have sent it (None: the
        network, as it is); in replay, refused (or left to another cassette), naming the
        OpenAI API it calls when it is one the harness does not record."""
        if self.others_pass:
            return None
        where = urlsplit(url)
        shown = f"{method} {where.scheme}://{where.netloc}{where.path}"
        known = origin(url) in self.api_origins
        unknown = api.other_api(where.path) if known else None
        if unknown is not None and (self.recorder is None or api.live_only_api(where.path)):
            raise self._fail(
                UnknownApiError(
                    f"{shown} calls {unknown}, which the harness does not record or replay "
                    "(it handles the Assistants, Responses and Conversations APIs, files, vector "
                    "stores and containers): make this call outside the marked test, or mock it"
                )
            )
        if self.recorder is not None:
            if self.upstream is None or not self._under_own_base(url):
                return None
            target = self.upstream.rebase(url, self.api_url)
            status, answer_headers, content = forward(
                self.upstream, method, target, header_items(headers), body
            )
            return HttpResponse(status, answer_headers, content)
        raise self._fail(
            ForeignRequestError(
                f"{shown} is not Assistants API traffic (the API is at {self.api_url}): "
                "replay serves only Assistants API requests and refuses others; mock this "
                "request, or mark the test `vcr` so pytest-recording handles it"
            )
        )

    def _legacy(self, method: str, url: str, headers: Any, body: bytes) -> Request:
        """An upload as cassettes of harness 0.2 summarised it (so they still replay)."""
        base = _api_base(method, urlsplit(url).path) or ""
        request = request_from_http(method, url, headers, body, base, legacy_multipart=True)
        return self._as_recorded(request)

    def _under_own_base(self, url: str) -> bool:
        """Sent to the harness's own API base (`/v1/...` on the emulator): where the app's
        client pointed, not the emulator's own endpoints (`/_emulator/*`)."""
        sent = urlsplit(url)
        if origin(url) not in self.own_origins:
            return False
        base = urlsplit(self.api_url).path.rstrip("/")
        return not base or sent.path == base or sent.path.startswith(base + "/")

    def _to_own(self, url: str, headers: Any) -> tuple[str, list[tuple[str, str]]]:
        ours, sent = urlsplit(self.api_url), urlsplit(url)
        moved = urlunsplit((ours.scheme, ours.netloc, sent.path, sent.query, ""))
        kept = [(k, v) for k, v in header_items(headers) if k.lower() != "host"]
        return moved, [("host", ours.netloc), *kept]

    def _fail(self, error: _Failure, request: Request | None = None) -> _Failure:
        if request is not None and isinstance(error, UnmatchedRequestError):
            error.request = self._as_recorded(request)  # redacted: a trace page shows it
        with self._lock:
            self.misses.append(error)
        return error

    def _render(self, response: Response) -> HttpResponse:
        """The response served (built once per recorded response: a poll answered the same
        way a thousand times is rendered once)."""
        rendered = self._rendered.get(id(response))
        if rendered is not None and rendered[0] is response:
            return rendered[1]
        headers, body = self.player.wire(response) if self.player else response_to_http(response)
        served = HttpResponse(response.status, headers, body)
        if self.player is not None:  # its responses live as long as it does
            self._rendered[id(response)] = (response, served)
        return served

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
