"""Reading a cassette exchange by exchange into a `Transcript`.

Each request is matched to its API operation (`harness.api.match`); the operation decides what
the exchange tells: its request's effect (`effects.EFFECTS`), whether its answer is a listing of
messages or run steps, and the objects its response or stream carries. A request that matches
no operation is listed in `requests` (and, when it failed, in `errors`) and tells nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from harness import api
from harness.api.deviations import error_fields, is_list, kind
from harness.cassette.model import Cassette, Request, Response
from harness.transcript.aliases import collect_ids
from harness.transcript.effects import EFFECTS, Exchange
from harness.transcript.freeze import Collected, freeze
from harness.transcript.model import ErrorEntry, Stream, StreamEvent, Transcript
from harness.transcript.observe import Observations
from harness.transcript.responses import ResponsesReader
from harness.transcript.summaries import as_dict, dicts

# Listing operations whose items the transcript keeps in order: kind, and the path parameter
# naming the owner the items must belong to.
_LISTINGS = {"list_messages": ("messages", "thread_id"), "list_run_steps": ("steps", "run_id")}


def build(cassette: Cassette, source: str, usage: bool) -> Transcript:
    """The normalized conversation `cassette` records (`source` names it)."""
    return _Builder(cassette, source, usage).build()


class _Builder:
    def __init__(self, cassette: Cassette, source: str, usage: bool) -> None:
        self.cassette = cassette
        self.a = collect_ids(cassette)
        self.seen = Observations(self.a)
        self.collected = Collected(source, usage, self.seen, [], [], [], [])
        self.responses = ResponsesReader(self.a, usage)

    def build(self) -> Transcript:
        for where, interaction in enumerate(self.cassette.interactions, 1):
            self.exchange(where, interaction.request, interaction.response, interaction.repeat)
        responses, conversations = self.responses.freeze()
        return replace(
            freeze(self.collected),
            responses=responses,
            conversations=conversations,
            sequenced=tuple(self.responses.streams),
        )

    def line(self, request: Request, response: Response | None = None) -> str:
        text = f"{request.method} {self.a.text(request.path)}"
        if request.query:
            text += "?" + urlencode([(k, self.a.text(v)) for k, v in request.query], safe="[]")
        if response is not None and not 200 <= response.status < 300:
            text += f" -> {response.status}"
        return text

    def exchange(self, where: int, request: Request, response: Response, repeat: int) -> None:
        self.collected.requests.append((self.line(request, response), repeat))
        found = api.match(request.method, request.path)
        x = Exchange(where, request, response, repeat, found.params if found else {})
        if not x.ok:
            self.error(where, request, response)
        if found is None:
            return
        if found.operation.api == "responses":
            self.responses.exchange(where, found.name, found.params, (request, response, repeat))
            if response.events is not None:
                self.stream(where, request, response.events)
            return
        effect = EFFECTS.get(found.name)
        if effect is not None:
            effect(self.seen, x)
        if response.events is not None:
            self.stream(where, request, response.events)
        elif x.ok and isinstance(response.body, dict):
            if found.name in _LISTINGS and is_list(response.body):
                self.listing(x, *_LISTINGS[found.name])
            self.seen.observe(response.body, where, repeat)

    def error(self, where: int, request: Request, response: Response) -> None:
        found = error_fields(response.body, response.text)
        self.collected.errors.append(
            ErrorEntry(
                where=where,
                request=self.line(request),
                status=response.status,
                type=found.type,
                code=found.code,
                message=self.a.text(found.message) if found.message is not None else None,
            )
        )

    def listing(self, x: Exchange, kind: str, owner_param: str) -> None:
        owner = x.params[owner_param]
        body = as_dict(x.response.body)
        self.collected.listings.append(
            {
                "where": x.where,
                "kind": kind,
                "request": self.line(x.request),
                "owner": self.a.of(owner) or owner,
                "query": {k.rstrip("[]"): self.a.text(v) for k, v in x.request.query},
                "items": dicts(body.get("data")),
                "has_more": body.get("has_more"),
            }
        )

    def stream(self, where: int, request: Request, events: Iterable[dict[str, Any]]) -> None:
        seen: list[StreamEvent] = []
        run: str | None = None
        for event in events:
            name = str(event.get("event"))
            data = event.get("data")
            obj_kind = kind(data)
            ref = self.a.of(data.get("id")) if isinstance(data, dict) else None
            if obj_kind == "thread.run" and run is None:
                run = ref
            seen.append(StreamEvent(name, ref, obj_kind))
            if name == "error" and isinstance(data, dict):
                found = error_fields(data)
                message = self.a.text(found.message) if found.message is not None else None
                self.collected.errors.append(
                    ErrorEntry(where, self.line(request), 200, found.type, found.code, message)
                )
            else:
                self.seen.observe(data, where)
        self.collected.streams.append(Stream(where, self.line(request), run, tuple(seen)))
