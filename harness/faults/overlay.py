"""A replay with faults injected: the recording answers until a fault makes the conversation
leave it, and the emulator answers what the recording cannot, starting from the state the
recording had reached.

Every request goes through `FaultOverlay.answer` (the interception's `override`):

1. An HTTP fault due at this request answers it with the error, leaving the recording
   where it was, so a retry gets the recorded answer (replay never sleeps).
2. A request on a thread the emulator has taken over goes to the emulator.
3. Otherwise the recording answers when it holds the request; a run fault due at this
   poll ends the run there (the thread is then the emulator's), a stream cut ends the
   stream early. Once a fault has struck, a request the recording does not hold (or holds
   no more: recorded writes are not repeated) goes to the emulator, which takes over the
   thread it names; before that, it fails the test as in plain replay.

The emulator learns every object the recording has shown (as the server saw it: a cut
stream's whole events, a faulted run as it ended) before it answers, so a retry, a new
run or a cancel is answered consistently, by the test's brain.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from harness import api
from harness.cassette import calls
from harness.cassette.interception import HttpResponse
from harness.cassette.matching import describe, explain_miss
from harness.cassette.model import Cassette, Request, Response
from harness.cassette.player import Played, Player
from harness.cassette.recorder import Recorder
from harness.cassette.redact import Redactor
from harness.cassette.wire import response_from_vcr, response_to_http
from harness.errors import HarnessError, UnmatchedRequestError
from harness.faults.known import (
    RecordedMessages,
    recorded_ids,
    request_input,
    request_messages,
)
from harness.faults.plan import plan
from harness.faults.responses import (
    end_response,
    end_response_stream,
    end_run,
    end_stream,
    http_error,
    is_run_event,
)
from harness.faults.spec import HTTP_STATUSES, Fault, parse_fault

if TYPE_CHECKING:
    from harness.invariants import Violation

Obj = dict[str, Any]


class EmulatorLink(Protocol):
    """The emulator a fault overlay hands over to (`harness.backends.RecordedEmulator`)."""

    base_url: str

    def answer(
        self, method: str, url: str, headers: Any, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]: ...

    def learn(self, objects: list[Any]) -> None: ...

    def take_over(self, thread_id: str) -> None: ...

    def reserve(self, ids: set[str]) -> None: ...


class FaultOverlay:
    def __init__(
        self,
        cassette: Cassette,
        faults: Iterable[Fault | str],
        *,
        source: str,
        emulator: Callable[[], EmulatorLink],
    ) -> None:
        self.faults = tuple(parse_fault(f) for f in faults)
        self.recorded = cassette
        self.source = source
        self.plan = plan(cassette, self.faults, source)
        self.player = Player(self.plan.cassette)
        self._emulator_factory = emulator
        self._link: EmulatorLink | None = None
        self._shown: list[Obj] = []
        """Objects the recording has shown that the emulator has not learned yet."""
        self._owned: set[str] = set()
        """Threads the emulator answers for."""
        self._requests = 0
        self._polls: dict[str, int] = {}
        self._poll_requests: dict[str, int] = {}
        self._fired: list[Fault] = []
        self._served = Recorder(Redactor())
        self._lock = threading.Lock()
        self._messages = RecordedMessages(cassette)
        self._faulted: set[int] = set()
        """Served interactions (1-based) whose response a fault made."""

    # -- what the test sees ------------------------------------------------------------

    def served(self) -> Cassette:
        """The conversation as the test was served it, faults and the emulator's answers in."""
        meta = {**self.recorded.meta, "faults": [f.id for f in self.faults]}
        return Cassette(meta=meta, interactions=list(self._served.interactions))

    def unfired(self) -> list[Fault]:
        """Faults whose moment never came (the app made no such request or poll)."""
        return [f for f in self.faults if f not in self._fired]

    def violations(self) -> list[Violation]:
        """The protocol rules (`harness.invariants`) the conversation the test was served
        breaks, one line each: a take-over must leave a conversation the API could give.
        What a fault itself breaks where it strikes (a run ended without a cancel request,
        a cut stream without its `done`) is the fault's point, not a violation; what the
        recording itself breaks (a server that lists oldest first) is how the recorded server
        behaved, not the take-over's doing."""
        from harness.invariants import check

        found = check(self.served(), source=self.source)
        recorded = {(v.rule, v.message) for v in check(self.recorded, source=self.source)}
        return [
            v for v in found if v.where not in self._faulted and (v.rule, v.message) not in recorded
        ]

    # -- the interception's override ------------------------------------------------------

    def answer(
        self, method: str, url: str, headers: Any, body: bytes, request: Request
    ) -> HttpResponse:
        found = api.match(request.method, request.path)
        name = found.name if found is not None else ""
        params = found.params if found is not None else {}
        thread = params.get("thread_id")
        owners = _owners(request, params)
        with self._lock:
            self._requests += 1
            owned = any(owner in self._owned for owner in owners)
            fault = self._http_fault(request, name, params, owned)
            if fault is not None:
                return self._serve(request, http_error(HTTP_STATUSES[fault.name]), faulted=True)
            if not owned:
                # A recorded write is not repeated once a fault struck: the state moved on.
                again = request.method == "GET" or not self._fired
                played = self.player.take(request, again=again)
                if played is not None:
                    self._shown += request_input(name, params, request, played.response)
                    response = self._overlay(played, name, thread)
                    self._shown += request_messages(
                        name, request, played.response.body, self._messages
                    )
                    return self._serve(request, response, faulted=response != played.response)
                if not self._fired:  # no fault yet: the app itself left the recording
                    nearest = explain_miss(request, self.player.recorded_requests())
                    raise UnmatchedRequestError(
                        f"No recorded response for {describe(request)} in {self.source} "
                        f"(before any fault struck).\n{nearest}"
                    )
            link = self._handover(thread, owners)
        try:
            status, response_headers, content = link.answer(
                method, self._emulator_url(link, url, request), headers, body
            )
        except HarnessError as exc:
            raise UnmatchedRequestError(
                f"{self.source}: fault overlay: the emulator could not answer "
                f"{request.method} {request.path}: {exc}"
            ) from None
        response = response_from_vcr(HttpResponse(status, response_headers, content).as_vcr())
        with self._lock:
            self._served.add(request, response)
        return HttpResponse(status, response_headers, content)

    # -- faults ---------------------------------------------------------------------------

    def _http_fault(
        self, request: Request, name: str, params: Mapping[str, str], owned: bool
    ) -> Fault | None:
        candidates = [self.plan.http_at_request.get(self._requests)]
        if not owned:
            index = self.player.peek(request)
            if index is not None:
                candidates.append(self.plan.http_at_interaction.get(index))
        polled = params.get("run_id") if name == "get_run" else None
        if name == "get_response" and "stream" not in str(request.query):
            polled = params.get("response_id")
        if polled is not None:
            count = self._poll_requests[polled] = self._poll_requests.get(polled, 0) + 1
            candidates.append(self.plan.http_at_poll.get((polled, count)))
        for fault in candidates:
            if fault is not None and fault not in self._fired:
                self._fired.append(fault)
                return fault
        return None

    def _overlay(self, played: Played, name: str, thread: str | None) -> Response:
        """The recorded response with any run end or cut due now; its objects are shown."""
        response = played.response
        learned = response
        cut = self.plan.cuts.get(played.index)
        if cut is not None and cut[1] not in self._fired and response.events is not None:
            self._fired.append(cut[1])
            self._own_response(_streamed_response(response.events))
            response = replace(response, events=response.events[: cut[0]])
        if name == "get_run" and isinstance(response.body, dict):
            ended = self._run_end(response.body)
            if ended is not None:
                response = learned = replace(response, body=ended)
        elif name == "get_response" and isinstance(response.body, dict):
            ended = self._response_end(response.body)
            if ended is not None:
                response = learned = replace(response, body=ended)
        elif response.events is not None and played.index in self.plan.stream_ends:
            fault = self.plan.stream_ends[played.index]
            if fault not in self._fired:
                self._fired.append(fault)
                tail = end_response_stream(response.events, fault)
                response = learned = replace(response, events=tail)
                self._own_response(_streamed_response(tail))
        elif response.events is not None:
            events = self._stream_end(response.events)
            if events is not None:
                response = learned = replace(response, events=events)
        self._show(learned)
        return response

    def _due(self, run: Obj) -> Fault | None:
        real = str(run.get("id"))
        count = self._polls[real] = self._polls.get(real, 0) + 1
        fault = self.plan.run_ends.get((real, count))
        if fault is None or fault in self._fired:
            return None
        self._fired.append(fault)
        self._owned.add(str(run.get("thread_id")))  # the recording's future no longer holds
        return fault

    def _run_end(self, run: Obj) -> Obj | None:
        fault = self._due(run)
        return end_run(run, fault) if fault is not None else None

    def _response_end(self, response: Obj) -> Obj | None:
        real = str(response.get("id"))
        count = self._polls[real] = self._polls.get(real, 0) + 1
        fault = self.plan.response_ends.get((real, count))
        if fault is None or fault in self._fired:
            return None
        self._fired.append(fault)
        self._own_response(response)  # the recording's future of it no longer holds
        return end_response(response, fault)

    def _own_response(self, response: Obj | None) -> None:
        """The emulator answers for `response` and its conversation from now on."""
        if response is not None:
            self._owned.update(_owners_of(response))

    def _stream_end(self, events: tuple[Obj, ...]) -> tuple[Obj, ...] | None:
        for position, event in enumerate(events):
            if is_run_event(event) and event.get("event") != "thread.run.created":
                fault = self._due(event["data"])
                if fault is not None:
                    return end_stream(events[:position], event["data"], fault)
        return None

    # -- the emulator ---------------------------------------------------------------------

    def _show(self, response: Response) -> None:
        shown = [response.body] if isinstance(response.body, dict) else []
        for event in response.events or ():
            data = event.get("data")
            if isinstance(data, dict) and isinstance(data.get("response"), dict):
                shown.append(data["response"])  # a Responses event: the response as it stood
            elif isinstance(data, dict) and not str(data.get("object", "")).endswith(".delta"):
                shown.append(data)
        self._shown += shown
        for call in calls.waited_in(shown) if self.plan.arguments else ():
            fault = self.plan.arguments.get(call)
            if fault is not None and fault not in self._fired:
                self._fired.append(fault)

    def _handover(self, thread: str | None, owners: list[str]) -> EmulatorLink:
        """The emulator, caught up with what the recording showed; it takes over `thread`, and
        answers for the responses and conversations the request names from now on."""
        if self._link is None:
            try:
                self._link = self._emulator_factory()
            except HarnessError as exc:
                raise UnmatchedRequestError(
                    f"{self.source}: fault overlay: the recording cannot answer what the app "
                    f"did after the fault, and the emulator is not available: {exc}"
                ) from None
            self._link.reserve(recorded_ids(self.recorded))
        shown, self._shown = self._shown, []
        if shown:
            self._link.learn(shown)
        self._owned.update(owners)
        if thread is not None:
            self._link.take_over(thread)  # idempotent: runs it already drives are left alone
        return self._link

    def _emulator_url(self, link: EmulatorLink, url: str, request: Request) -> str:
        query = urlsplit(url).query
        return link.base_url.rstrip("/") + request.path + (f"?{query}" if query else "")

    def _serve(self, request: Request, response: Response, *, faulted: bool) -> HttpResponse:
        self._served.add(request, response)
        if faulted:
            self._faulted.add(len(self._served.interactions))
        headers, body = response_to_http(response)
        return HttpResponse(response.status, headers, body)


def _owners(request: Request, params: Mapping[str, str]) -> list[str]:
    """The thread, responses and conversations a request names (path or body)."""
    body = request.body if isinstance(request.body, dict) else {}
    named = [params.get(k) for k in ("thread_id", "response_id", "conversation_id")]
    named += [body.get("previous_response_id"), _id(body.get("conversation"))]
    return [n for n in named if isinstance(n, str)]


def _owners_of(response: Obj) -> list[str]:
    named = [response.get("id"), _id(response.get("conversation"))]
    return [n for n in named if isinstance(n, str)]


def _id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def _streamed_response(events: tuple[Obj, ...]) -> Obj | None:
    """The response a Responses stream carries, as its last event showing it has it."""
    for event in reversed(events):
        data = event.get("data")
        if isinstance(data, dict) and isinstance(data.get("response"), dict):
            return dict(data["response"])
    return None
