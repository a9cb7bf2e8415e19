"""Protocol checks over the Responses side of a transcript; `harness.invariants` runs them with
the Assistants checks and reports them the same way.

- every response's observed statuses follow the response lifecycle (`harness.api.lifecycle`;
  `cancelled` only after an accepted cancel), and it is first seen in a status reachable from
  `queued`;
- `previous_response_id` names a response the cassette showed earlier;
- each `function_call` a response made is answered by exactly one `function_call_output` with
  its `call_id` in the next request of that chain (a response naming it as previous) or
  conversation; a response left unanswered is not flagged (the app may stop there);
- no `function_call_output` answers a call no earlier response of its chain made;
- the `sequence_number`s of a Responses stream count up by one without gaps (from
  `starting_after + 1` for a resumed stream).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from harness import api
from harness.transcript import Transcript
from harness.transcript.response_model import ResponseTimeline

V = TypeVar("V")
Report = Callable[[str, int | None, str], V]


def check_responses(transcript: Transcript, report: Report[V]) -> Iterator[V]:
    """Each violation as `report(rule, where, message)` returns it."""
    by_alias = {r.id: r for r in transcript.responses}
    for response in transcript.responses:
        yield from _statuses(response, report)
        if response.previous is not None:
            earlier = by_alias.get(response.previous)
            if earlier is None or earlier.where >= response.where:
                yield report(
                    "previous-response",
                    response.where,
                    f"response {response.id}: previous_response_id {response.previous} "
                    f"({transcript.real_id(response.previous)}) names no earlier response",
                )
    yield from _calls(transcript, report)
    for stream in transcript.sequenced:
        expected = (stream.starting_after + 1) if stream.starting_after is not None else None
        for number in stream.numbers:
            if expected is not None and number != expected:
                yield report(
                    "sequence",
                    stream.where,
                    f"{stream.request} stream: sequence_number {number} where {expected} was "
                    "due (they count up by one)",
                )
                break
            expected = (number + 1) if number is not None else None


def _statuses(response: ResponseTimeline, report: Report[V]) -> Iterator[V]:
    previous, position = "queued", 0
    for status, count, where in response.observed:
        allowed = frozenset(gate for at, gate in response.gates if at <= position)
        if not api.reachable(api.RESPONSE_EDGES, previous, status, allowed):
            what = "first seen" if position == 0 else f"illegal transition {previous} ->"
            hint = " (terminal)" if previous in api.TERMINAL_RESPONSE_STATUSES else ""
            if status == "cancelled" and "cancel" not in allowed:
                hint = " (no accepted cancel request before it)"
            yield report("transition", where, f"response {response.id}: {what} {status}{hint}")
        previous = status
        position += count


def _calls(transcript: Transcript, report: Report[V]) -> Iterator[V]:
    responses = transcript.responses
    by_alias = {r.id: r for r in responses}
    made: dict[str, ResponseTimeline] = {}
    for response in responses:
        for call in response.calls:
            made.setdefault(call, response)
    for response in responses:
        chain = _chain(response, by_alias)
        for call in response.answered:
            if call not in made or made[call] not in chain:
                yield report(
                    "call-output",
                    response.where,
                    f"response {response.id}: function_call_output for {call} "
                    f"({transcript.real_id(call)}), which no earlier response of its chain or "
                    "conversation called",
                )
        asked = _asked_by(response, responses, by_alias)
        if asked is None:
            continue
        sent = list(response.answered)
        wanted = list(asked.calls)
        missing = [c for c in wanted if c not in sent]
        doubled = sorted({c for c in sent if sent.count(c) > 1})
        if missing or doubled:
            details = [
                f"missing {', '.join(missing)}" if missing else "",
                f"duplicated {', '.join(doubled)}" if doubled else "",
            ]
            yield report(
                "call-output",
                response.where,
                f"response {response.id}: continues {asked.id}, which called "
                f"[{', '.join(wanted)}], with outputs for [{', '.join(sent)}] "
                f"({'; '.join(d for d in details if d)})",
            )


def _chain(
    response: ResponseTimeline, by_alias: dict[str, ResponseTimeline]
) -> list[ResponseTimeline]:
    """The responses before it in its chain (`previous` links) or conversation."""
    chain, seen = [], set()
    current = by_alias.get(response.previous) if response.previous else None
    while current is not None and current.id not in seen:
        seen.add(current.id)
        chain.append(current)
        current = by_alias.get(current.previous) if current.previous else None
    if response.conversation:
        chain += [
            r
            for r in by_alias.values()
            if r.conversation == response.conversation and r.where < response.where
        ]
    return chain


def _asked_by(
    response: ResponseTimeline,
    responses: tuple[ResponseTimeline, ...],
    by_alias: dict[str, ResponseTimeline],
) -> ResponseTimeline | None:
    """The response whose function calls this one's request had to answer: the one it names
    as previous, or the one before it in its conversation, when that one made calls."""
    before: ResponseTimeline | None = None
    if response.previous:
        before = by_alias.get(response.previous)
    elif response.conversation:
        earlier = [
            r
            for r in responses
            if r.conversation == response.conversation and r.where < response.where
        ]
        before = earlier[-1] if earlier else None
    return before if before is not None and before.calls else None
