"""Faults resolved against one cassette: which real run, request, stream or call each one
strikes, checked when the test starts (a fault that cannot strike is one clear line), and
the whole matrix `faults="each"` gives for a recording."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness import api
from harness.cassette.calls import pending_calls, with_arguments
from harness.cassette.model import Cassette
from harness.errors import ConfigError
from harness.faults.responses import half_way, is_run_event, replacement_arguments
from harness.faults.spec import (
    ARGUMENT_VARIANTS,
    FAILED_CODES,
    HTTP_STATUSES,
    RESPONSE_ENDS,
    RESPONSE_INCOMPLETE_REASONS,
    RUN_ENDS,
    Fault,
)
from harness.transcript import transcript


@dataclass(frozen=True)
class RunFacts:
    """What the recording shows of one run."""

    alias: str
    real_id: str
    create: int | None
    """Interaction (0-based) whose request created the run."""
    submits: tuple[int, ...]
    polls: tuple[str, ...]
    """The status each poll showed, in order (repeats expanded)."""
    streams: tuple[int, ...]
    """Positions in `Facts.streams` of the run's streams."""
    calls: tuple[str, ...]
    """Aliases of the function calls it required."""


@dataclass(frozen=True)
class ResponseFacts:
    """What the recording shows of one response."""

    alias: str
    real_id: str
    create: int | None
    """Interaction (0-based) whose request created it."""
    polls: tuple[str, ...]
    """The status each retrieve showed, in order (repeats expanded)."""
    stream: int | None
    """Interaction whose stream carried it to its end, if it was streamed."""
    streams: tuple[int, ...] = ()
    """Positions in `Facts.streams` of the streams that carried it."""
    calls: tuple[str, ...] = ()
    """Aliases of the function calls it waited on the app to answer."""


@dataclass(frozen=True)
class Facts:
    runs: tuple[RunFacts, ...]
    streams: tuple[tuple[int, int], ...]
    """(interaction, number of events) of every streamed response, in order."""
    calls: dict[str, tuple[str, str]]
    """call alias -> (real id, recorded arguments text)."""
    responses: tuple[ResponseFacts, ...] = ()


@dataclass
class FaultPlan:
    """Where each fault strikes, as the overlay looks them up while requests come in."""

    cassette: Cassette
    """The recording as served: with replaced tool-call arguments, if any."""
    run_ends: dict[tuple[str, int], Fault] = field(default_factory=dict)
    """(real run id, poll) -> fault."""
    http_at_request: dict[int, Fault] = field(default_factory=dict)
    http_at_interaction: dict[int, Fault] = field(default_factory=dict)
    http_at_poll: dict[tuple[str, int], Fault] = field(default_factory=dict)
    cuts: dict[int, tuple[int, Fault]] = field(default_factory=dict)
    """interaction -> (events kept, fault)."""
    arguments: dict[str, Fault] = field(default_factory=dict)
    """real call id -> the fault that replaced its arguments (struck once the call shows)."""
    response_ends: dict[tuple[str, int], Fault] = field(default_factory=dict)
    """(real response id, retrieve) -> fault."""
    stream_ends: dict[int, Fault] = field(default_factory=dict)
    """interaction -> the fault its stream's last event shows instead."""


def facts(cassette: Cassette) -> Facts:
    """Runs, streams and calls of a recording, named as its transcript names them."""
    aliases = transcript(cassette).aliases
    streams: list[tuple[int, int]] = []
    stream_runs: dict[int, str] = {}
    runs: dict[str, dict[str, Any]] = {}

    def run(real: str) -> dict[str, Any]:
        return runs.setdefault(real, {"create": None, "submits": [], "polls": [], "streams": []})

    for index, interaction in enumerate(cassette.interactions):
        request, response = interaction.request, interaction.response
        found = api.match(request.method, request.path)
        name = found.name if found is not None else ""
        operation = found.operation if found is not None else None
        shown = _runs_shown(response.body, response.events)
        if operation is not None and operation.creates_run and shown:
            entry = run(shown[0])
            entry["create"] = entry["create"] if entry["create"] is not None else index
        if operation is not None and operation.answers_tool_calls and found is not None:
            run(found.params["run_id"])["submits"].append(index)
        if name == "get_run" and isinstance(response.body, dict) and "status" in response.body:
            run(str(response.body.get("id")))["polls"] += [
                response.body["status"]
            ] * interaction.repeat
        if response.events is not None:
            number = len(streams)
            streams.append((index, len(response.events)))
            for event in response.events:
                if is_run_event(event) and event.get("event") != "thread.run.created":
                    real = str(event["data"].get("id"))
                    run(real)["polls"].append(event["data"].get("status"))
                    stream_runs.setdefault(number, real)
            if number in stream_runs:
                run(stream_runs[number])["streams"].append(number)
    calls = {
        aliases.get(c.call_id, c.call_id): (c.call_id, c.arguments) for c in pending_calls(cassette)
    }
    by_run: dict[str, list[str]] = {}
    for call in pending_calls(cassette):
        by_run.setdefault(call.owner, []).append(aliases.get(call.call_id, call.call_id))
    ordered = sorted(runs, key=lambda real: _number(aliases.get(real, "")))
    return Facts(
        responses=_response_facts(cassette, aliases, by_run),
        runs=tuple(
            RunFacts(
                alias=aliases.get(real, real),
                real_id=real,
                create=runs[real]["create"],
                submits=tuple(runs[real]["submits"]),
                polls=tuple(runs[real]["polls"]),
                streams=tuple(runs[real]["streams"]),
                calls=tuple(by_run.get(real, ())),
            )
            for real in ordered
            if real in aliases
        ),
        streams=tuple(streams),
        calls=calls,
    )


def _response_facts(
    cassette: Cassette, aliases: Mapping[str, str], calls: Mapping[str, list[str]]
) -> tuple[ResponseFacts, ...]:
    found: dict[str, dict[str, Any]] = {}
    streams = -1
    for index, interaction in enumerate(cassette.interactions):
        request, response = interaction.request, interaction.response
        streams += response.events is not None
        matched = api.match(request.method, request.path)
        if matched is None or not 200 <= response.status < 300:
            continue
        shown = response.body if isinstance(response.body, dict) else {}
        if response.events:
            last = response.events[-1].get("data")
            shown = last.get("response", {}) if isinstance(last, dict) else {}
        real = str(shown.get("id", ""))
        if not real.startswith("resp") and matched.name != "create_response":
            continue
        entry = found.setdefault(real, {"create": None, "polls": [], "stream": None, "streams": []})
        if matched.operation.creates_response and entry["create"] is None:
            entry["create"] = index
        if response.events:
            entry["streams"].append(streams)
        if response.events and shown.get("status") == "completed":
            entry["stream"] = index
        elif matched.name == "get_response" and not response.events:
            entry["polls"] += [str(shown.get("status"))] * interaction.repeat
    return tuple(
        ResponseFacts(
            aliases[real],
            real,
            e["create"],
            tuple(e["polls"]),
            e["stream"],
            tuple(e["streams"]),
            tuple(calls.get(real, ())),
        )
        for real, e in sorted(found.items(), key=lambda kv: _number(aliases.get(kv[0], "")))
        if real in aliases
    )


def _runs_shown(body: Any, events: Sequence[dict[str, Any]] | None) -> list[str]:
    found = []
    if isinstance(body, dict) and body.get("object") == "thread.run":
        found.append(str(body.get("id")))
    for event in events or ():
        if is_run_event(event):
            found.append(str(event["data"].get("id")))
    return found


def _number(alias: str) -> int:
    tail = alias.rpartition("_")[2]
    return int(tail) if tail.isdigit() else 1 << 30


def plan(cassette: Cassette, faults: Iterable[Fault], source: str = "<cassette>") -> FaultPlan:
    """Resolve `faults` against `cassette`; `ConfigError` for one that cannot strike."""
    known = facts(cassette)
    runs = {r.alias: r for r in known.runs}
    responses = {r.alias: r for r in known.responses}
    result = FaultPlan(cassette)
    before = 0
    for fault in faults:
        where = fault.where

        def refuse(reason: str, fault: Fault = fault) -> ConfigError:
            return ConfigError(f"{source}: fault {fault.id}: {reason}")

        if where.subject == "run":
            facts_of = runs.get(where.alias)
            if facts_of is None:
                held = ", ".join(runs) or "none"
                raise refuse(f"the recording has no {where.alias} (its runs: {held})")
            _place_run_fault(result, fault, facts_of, refuse)
        elif where.subject == "resp":
            shown = responses.get(where.alias)
            if shown is None:
                held = ", ".join(responses) or "none"
                raise refuse(f"the recording has no {where.alias} (its responses: {held})")
            _place_response_fault(result, fault, shown, refuse)
        elif where.subject == "request":
            result.http_at_request[where.number] = fault
        elif where.subject == "stream":
            if where.number > len(known.streams):
                raise refuse(f"the recording has {len(known.streams)} streamed responses")
            index, count = known.streams[where.number - 1]
            keep = where.count if where.count is not None else half_way(count)
            if keep >= count:
                raise refuse(f"stream_{where.number} has {count} events: cut it before the last")
            result.cuts[index] = (keep, fault)
        else:
            call = known.calls.get(where.alias)
            if call is None:
                raise refuse(f"no run of the recording required {where.alias}")
            real, recorded = call
            text = replacement_arguments(recorded, fault)
            result.cassette = with_arguments(result.cassette, real, text)
            result.arguments[real] = fault
        placed = _count(result)
        if placed == before:
            raise refuse("another fault of this test already strikes there")
        before = placed
    return result


def _count(result: FaultPlan) -> int:
    return sum(
        len(places)
        for places in (
            result.run_ends,
            result.http_at_request,
            result.http_at_interaction,
            result.http_at_poll,
            result.cuts,
            result.arguments,
            result.response_ends,
            result.stream_ends,
        )
    )


def _place_run_fault(result: FaultPlan, fault: Fault, run: RunFacts, refuse: Any) -> None:
    where = fault.where
    count = where.count or 1
    if where.part == "create":
        if run.create is None:
            raise refuse(f"the recording does not show the request that created {run.alias}")
        result.http_at_interaction[run.create] = fault
    elif where.part == "submit":
        if count > len(run.submits):
            raise refuse(f"{run.alias} got {len(run.submits)} tool-output submissions")
        result.http_at_interaction[run.submits[count - 1]] = fault
    elif fault.kind == "http":
        result.http_at_poll[(run.real_id, count)] = fault
    else:
        if count > len(run.polls):
            raise refuse(f"{run.alias} was polled {len(run.polls)} times in the recording")
        status = run.polls[count - 1]
        if status not in api.ACTIVE_RUN_STATUSES:
            raise refuse(f"{run.alias}'s poll {count} shows it {status}: it can no longer end")
        result.run_ends[(run.real_id, count)] = fault


def _place_response_fault(
    result: FaultPlan, fault: Fault, response: ResponseFacts, refuse: Any
) -> None:
    where = fault.where
    count = where.count or 1
    if fault.kind == "run" and fault.name not in RESPONSE_ENDS:
        raise refuse(f"a response cannot end {fault.name} (it ends {', '.join(RESPONSE_ENDS)})")
    if fault.name == "incomplete" and fault.detail not in (None, *RESPONSE_INCOMPLETE_REASONS):
        raise refuse(f"a response ends incomplete for {' or '.join(RESPONSE_INCOMPLETE_REASONS)}")
    if where.part == "create":
        if response.create is None:
            raise refuse(f"the recording does not show the request that created {response.alias}")
        result.http_at_interaction[response.create] = fault
    elif fault.kind == "http":
        result.http_at_poll[(response.real_id, count)] = fault
    elif where.part == "end" or (where.part is None and not response.polls):
        if response.stream is None:
            raise refuse(f"{response.alias} was not streamed to its end in the recording")
        if fault.name == "cancelled":
            raise refuse("a stream does not end cancelled: cancel a background response's poll")
        result.stream_ends[response.stream] = fault
    else:
        if count > len(response.polls):
            raise refuse(f"{response.alias} was retrieved {len(response.polls)} times")
        status = response.polls[count - 1]
        if status not in api.ACTIVE_RESPONSE_STATUSES:
            raise refuse(f"{response.alias}'s poll {count} shows it {status}: it can no longer end")
        result.response_ends[(response.real_id, count)] = fault


def each(cassette: Cassette, kinds: Sequence[str] | None = None) -> list[Fault]:
    """Every fault at every run and response of `cassette` (the `faults="each"` matrix), runs
    first, each in order: the run ending each way at its first poll, each HTTP error where it
    is created and at each submission, each of its streams cut half-way, each of its calls
    given other arguments; a response likewise (ended each way at its first poll or at its
    stream's end, each HTTP error where it is created and at its first poll); each HTTP error
    at each request that creates a conversation or adds items to one."""
    known = facts(cassette)
    found: list[Fault] = []
    for run in known.runs:
        if run.polls and run.polls[0] in api.ACTIVE_RUN_STATUSES:
            for name in RUN_ENDS:
                found.append(Fault(name, run.alias))
                if name == "failed":
                    found += [Fault(name, run.alias, code) for code in FAILED_CODES[1:]]
        places = [f"{run.alias}.create"] if run.create is not None else []
        places += [f"{run.alias}.submit_{n}" for n in range(1, len(run.submits) + 1)]
        found += [Fault(name, place) for place in places for name in HTTP_STATUSES]
        for number in run.streams:
            _, count = known.streams[number]
            if count > 1:
                found.append(Fault("cut", f"stream_{number + 1}.event_{half_way(count)}"))
        for call in run.calls:
            found += [Fault("arguments", call, variant) for variant in ("empty", "malformed")]
    for response in known.responses:
        found += _response_matrix(response, known)
    found += _conversation_matrix(cassette)
    if kinds is not None:
        wanted = set(kinds)
        found = [f for f in found if f.name in wanted or f.kind in wanted]
    return found


def _response_matrix(response: ResponseFacts, known: Facts) -> list[Fault]:
    alias, found = response.alias, []
    if response.polls and response.polls[0] in api.ACTIVE_RESPONSE_STATUSES:
        for name in RESPONSE_ENDS:
            found.append(Fault(name, alias))
            if name == "failed":
                found += [Fault(name, alias, code) for code in FAILED_CODES[1:]]
    if response.stream is not None:
        found += [Fault(name, f"{alias}.end") for name in RESPONSE_ENDS if name != "cancelled"]
    places = [f"{alias}.create"] if response.create is not None else []
    places += [f"{alias}.poll_1"] if response.polls else []
    found += [Fault(name, place) for place in places for name in HTTP_STATUSES]
    for number in response.streams:
        _, count = known.streams[number]
        if count > 1:
            found.append(Fault("cut", f"stream_{number + 1}.event_{half_way(count)}"))
    for call in response.calls:
        found += [Fault("arguments", call, variant) for variant in ARGUMENT_VARIANTS]
    return found


def _conversation_matrix(cassette: Cassette) -> list[Fault]:
    """Each HTTP error at each request that wrote a conversation (`request_N`: the N-th
    request the app makes, polls counted as the recording shows them)."""
    found: list[Fault] = []
    made = 0
    for interaction in cassette.interactions:
        request = interaction.request
        matched = api.match(request.method, request.path)
        if matched is not None and matched.operation.writes_conversation:
            found += [Fault(name, f"request_{made + 1}") for name in HTTP_STATUSES]
        made += interaction.repeat
    return found
