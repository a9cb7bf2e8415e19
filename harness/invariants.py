"""Protocol checks over a transcript: run state machine, tool-output pairing, listing order and
cursors, step references, SSE event order (Assistants API); response lifecycles, chains,
call outputs and stream sequence numbers (Responses API, `harness.response_invariants`); how
a stream ends, per API (`harness.api.sse`). Each broken rule is one `Violation`, one line
naming the API whose rule it is.

Run transitions follow the run lifecycle of the Assistants API (`harness.api.lifecycle`: cancelling
only after an accepted cancel request for that run, queued again from requires_action only after
an accepted submit_tool_outputs request).

The "reachable" rule: polling sees a run only now and then, so two consecutive observations
`a -> b` are legal when `b` can be reached from `a` along these edges, through states nobody
observed, using only the gated edges whose request (cancel, submit) the cassette shows between the
two observations. So `queued -> completed` is legal (in_progress went unseen), `in_progress ->
queued` after an accepted submit is legal (requires_action went unseen), `requires_action ->
completed` without a submit is not, and nothing leaves a terminal state. A run's first observation
must be reachable from `queued`. `cancelling -> completed | failed | incomplete | expired` is
allowed because a cancel is only a request: a run may finish another way before it takes effect.

A submit that the server accepted (2xx) must carry exactly the call ids of the `requires_action`
it answers, each once; a submit the server rejected (4xx) is the API doing its job and is not
flagged. A run left in `requires_action` with no submit is not flagged (the app may give up);
moving on from it without one is, by the transition rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from harness import api
from harness.api import TERMINAL_RUN_STATUSES, sse
from harness.cassette.model import Cassette
from harness.errors import InvariantError
from harness.response_invariants import check_responses
from harness.transcript import Listing, RunEvent, RunTimeline, Stream, Transcript, transcript

# Stream events that end an object (`thread.message.completed`, `thread.run.step.failed`, ...):
# steps and messages end in the same words as runs.
_FINISHING = TERMINAL_RUN_STATUSES


@dataclass(frozen=True)
class Violation:
    source: str
    rule: str
    """transition | submit | listing-order | cursor | listing-owner | reference | stream-order |
    previous-response | call-output | sequence (the last three: Responses)"""
    where: int | None
    """1-based interaction number in the cassette."""
    message: str
    api: str = "Assistants"
    """The API whose rule it is: `Assistants` or `Responses`."""

    def __str__(self) -> str:
        at = f" interaction {self.where}:" if self.where is not None else ""
        return f"{self.source}:{at} {self.api} API: {self.message}"


def apis_of(violations: list[Violation]) -> str:
    """The APIs whose rules `violations` break, as a phrase: `Assistants API`, `Assistants
    and Responses APIs`."""
    names = sorted({v.api for v in violations})
    return " and ".join(names) + (" APIs" if len(names) > 1 else " API")


def reachable(start: str, goal: str, gates: frozenset[str]) -> bool:
    """Whether run status `goal` follows `start` through unobserved states, given the requests
    made."""
    return api.reachable(api.RUN_EDGES, start, goal, gates)


def check(subject: Transcript | Cassette, *, source: str | None = None) -> list[Violation]:
    """Every protocol rule the transcript (or the cassette's transcript) breaks."""
    if isinstance(subject, Cassette):
        subject = transcript(subject, source=source or "<cassette>")
    return list(_Checker(subject, source or subject.source).run())


def assert_invariants(subject: Transcript | Cassette, *, source: str | None = None) -> None:
    """Raise `InvariantError` listing every violation, one per line."""
    __tracebackhide__ = True
    violations = check(subject, source=source)
    if violations:
        lines = "\n".join(f"  {v}" for v in violations)
        raise InvariantError(
            f"{len(violations)} {apis_of(violations)} protocol violation(s):\n{lines}"
        )


class _Checker:
    def __init__(self, t: Transcript, source: str) -> None:
        self.t = t
        self.source = source
        self.created = {m.id: m.created for m in t.messages}
        self.created.update({s.id: s.created for r in t.runs for s in r.steps})

    def v(self, rule: str, where: int | None, message: str) -> Violation:
        return Violation(self.source, rule, where, message)

    def rv(self, rule: str, where: int | None, message: str) -> Violation:
        return Violation(self.source, rule, where, message, "Responses")

    def name(self, alias: str | None) -> str:
        return f"{alias} ({self.t.real_id(alias)})"

    def run(self) -> Iterator[Violation]:
        for run in self.t.runs:
            yield from self.transitions(run)
            yield from self.submits(run)
            yield from self.references(run)
        for listing in self.t.listings:
            yield from self.listing(listing)
        for stream in self.t.streams:
            yield from self.stream(stream)
        yield from check_responses(self.t, self.rv)

    # -- runs

    def transitions(self, run: RunTimeline) -> Iterator[Violation]:
        previous, gates = "queued", set[str]()
        first = True
        for event in run.events:
            if event.kind != "status":
                if event.http_status is not None and 200 <= event.http_status < 300:
                    gates.add(event.kind)
                continue
            status = event.status or "?"
            if not reachable(previous, status, frozenset(gates)):
                what = "first observed as" if first else f"illegal transition {previous} ->"
                hint = _hint(previous, status)
                yield self.v(
                    "transition",
                    event.where,
                    f"run {self.name(run.id)}: {what} {status}{hint}",
                )
            previous, gates, first = status, set(), False

    def submits(self, run: RunTimeline) -> Iterator[Violation]:
        pending: RunEvent | None = None
        for event in run.events:
            if event.kind == "status":
                pending = event
                continue
            if event.kind != "submit" or event.http_status is None:
                continue
            if not 200 <= event.http_status < 300:
                continue
            prefix = f"run {self.name(run.id)}: submit_tool_outputs accepted"
            if pending is None or pending.status != "requires_action":
                state = pending.status if pending else "never observed"
                yield self.v("submit", event.where, f"{prefix} while the run was {state}")
                continue
            sent, wanted = list(event.call_ids), list(pending.call_ids)
            dupes = sorted({c for c in sent if sent.count(c) > 1})
            missing = [c for c in wanted if c not in sent]
            extra = [c for c in sent if c not in wanted]
            if dupes or missing or extra:
                details = [
                    f"missing {', '.join(missing)}" if missing else "",
                    f"unexpected {', '.join(extra)}" if extra else "",
                    f"duplicated {', '.join(dupes)}" if dupes else "",
                ]
                yield self.v(
                    "submit",
                    event.where,
                    f"{prefix} with outputs for [{', '.join(sent)}] but the run required "
                    f"[{', '.join(wanted)}] ({'; '.join(d for d in details if d)})",
                )
            pending = None

    def references(self, run: RunTimeline) -> Iterator[Violation]:
        for step in run.steps:
            if step.message is None or step.message in self.created:
                continue
            complete = [
                item
                for item in self.t.listings
                if item.kind == "messages"
                and item.owner == run.thread
                and item.where > step.where
                and not {"after", "before"} & set(item.query)
                and not item.has_more
            ]
            if complete:
                yield self.v(
                    "reference",
                    complete[0].where,
                    f"run {self.name(run.id)}: step {self.name(step.id)} created message "
                    f"{self.name(step.message)}, which no response shows, not even this full "
                    f"listing of {run.thread}",
                )

    # -- listings

    def listing(self, item: Listing) -> Iterator[Violation]:
        where, order = item.where, item.order
        head = f"{item.request} (order={order})"
        for a, b in zip(item.items, item.items[1:], strict=False):
            if a.created is None or b.created is None:
                continue
            wrong = a.created < b.created if order == "desc" else a.created > b.created
            if wrong:
                newer, older = (b, a) if order == "desc" else (a, b)
                yield self.v(
                    "listing-order",
                    where,
                    f"{head} lists {self.name(a.id)} before {self.name(b.id)}, but "
                    f"{newer.id} was created after {older.id}",
                )
        kind_owner = "thread" if item.kind == "messages" else "run"
        for listed in item.items:
            if listed.owner is not None and item.owner is not None and listed.owner != item.owner:
                yield self.v(
                    "listing-owner",
                    where,
                    f"{head} returns {self.name(listed.id)} of {kind_owner} {listed.owner}",
                )
        limit = item.query.get("limit", "")
        if limit.isdigit() and len(item.items) > int(limit):
            yield self.v("cursor", where, f"{head} returns {len(item.items)} items, limit {limit}")
        for cursor in ("after", "before"):
            yield from self.cursor(item, cursor, head)

    def cursor(self, item: Listing, cursor: str, head: str) -> Iterator[Violation]:
        mark = item.query.get(cursor)
        if mark is None:
            return
        if any(listed.id == mark for listed in item.items):
            yield self.v("cursor", item.where, f"{head} includes its own {cursor} cursor {mark}")
        pivot = self.created.get(mark)
        if pivot is None:
            return
        # after+desc and before+asc want older items; after+asc and before+desc newer ones.
        want_older = (cursor == "after") == (item.order == "desc")
        for listed in item.items:
            if listed.created is None or listed.id == mark:
                continue
            if (listed.created > pivot) if want_older else (listed.created < pivot):
                side = "after" if listed.created > pivot else "before"
                yield self.v(
                    "cursor",
                    item.where,
                    f"{head} ignores {cursor}={mark}: {self.name(listed.id)} was created "
                    f"{side} {mark}",
                )

    # -- streams

    def stream(self, stream: Stream) -> Iterator[Violation]:
        names = [e.name for e in stream.events]
        if sse.api_of_stream(names[0] if names else None) == "responses":
            yield from self.response_stream_end(stream, names)
            return  # its sequence numbers are checked with the Responses rules
        head = f"{stream.request} stream"
        if stream.run:
            head += f" of run {self.name(stream.run)}"
        done = sse.DONE_EVENT
        if done in names:
            first_done = names.index(done)
            for late in stream.events[first_done + 1 :]:
                yield self.v(
                    "stream-order",
                    stream.where,
                    f"{head}: {late.name} after {done} ({done} must be last)",
                )
        elif sse.ERROR_EVENT not in names:
            yield self.v("stream-order", stream.where, f"{head}: ends without a {done} event")
        created: dict[str, int] = {}
        finished: dict[str, str] = {}
        seen: dict[str, str] = {}
        for index, event in enumerate(stream.events):
            family, phase = _family(event.name)
            if family is None or event.ref is None:
                continue
            ref = event.ref
            label = f"{event.name} for {self.name(ref)}"
            if ref in finished:
                yield self.v("stream-order", stream.where, f"{head}: {label} after {finished[ref]}")
            if phase == "created":
                if ref in seen:
                    yield self.v("stream-order", stream.where, f"{head}: {label} after {seen[ref]}")
                created[ref] = index
            elif phase == "delta" and ref not in created and family != "thread.run":
                yield self.v(
                    "stream-order", stream.where, f"{head}: {label} before {family}.created"
                )
            seen.setdefault(ref, event.name)
            if phase in _FINISHING:
                finished.setdefault(ref, event.name)

    def response_stream_end(self, stream: Stream, names: list[str]) -> Iterator[Violation]:
        """A Responses stream ends with the response's end (or an error), and nothing follows
        it; it has no `done` event."""
        ends = sse.RESPONSE_STREAM_ENDS | {sse.ERROR_EVENT}
        head = f"{stream.request} stream"
        last = names[-1] if names else None
        if last not in ends:
            wanted = " | ".join(sorted(sse.RESPONSE_STREAM_ENDS))
            yield self.rv(
                "stream-order", stream.where, f"{head}: ends with {last}, not with {wanted}"
            )
        end = next((i for i, n in enumerate(names[:-1]) if n in ends), None)
        if end is not None:
            yield self.rv(
                "stream-order",
                stream.where,
                f"{head}: {names[end + 1]} after {names[end]} (which ends it)",
            )


def _family(name: str) -> tuple[str | None, str]:
    for family in ("thread.run.step", "thread.message", "thread.run"):
        if name.startswith(family + "."):
            return family, name[len(family) + 1 :]
    return None, name


def _hint(previous: str, status: str) -> str:
    if previous in TERMINAL_RUN_STATUSES:
        return f" ({previous} is terminal)"
    if reachable(previous, status, frozenset({"submit"})):
        return " (no accepted submit_tool_outputs in between)"
    if reachable(previous, status, frozenset({"cancel"})):
        return " (no accepted cancel request in between)"
    return ""
