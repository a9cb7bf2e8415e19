"""Observations -> the frozen `Transcript`: aliases applied, timestamps ranked, steps ordered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.api import deviations
from harness.transcript.model import (
    JSON,
    ErrorEntry,
    ListedItem,
    Listing,
    Message,
    Resource,
    RunTimeline,
    Step,
    Stream,
    Transcript,
    collapse,
)
from harness.transcript.observe import Observations, RunState
from harness.transcript.summaries import annotation_summaries, as_dict, message_text

Ranks = dict[str, dict[int, int]]


@dataclass
class Collected:
    """Everything gathered from a cassette, in cassette order, before it is frozen."""

    source: str
    usage: bool
    seen: Observations
    requests: list[tuple[str, int]]
    listings: list[dict[str, Any]]
    streams: list[Stream]
    errors: list[ErrorEntry]


def freeze(c: Collected) -> Transcript:
    seen, a = c.seen, c.seen.a
    # `created` is the dense rank of `created_at` among the objects of one kind
    ranks: Ranks = {
        kind: {v: n for n, v in enumerate(sorted(vals), 1)} for kind, vals in seen.created.items()
    }
    runs = tuple(_run(seen, r, ranks["step"], c.usage) for r in seen.runs.values())
    messages = tuple(
        Message(
            id=a.of(real) or real,
            real_id=real,
            thread=a.of(m.get("thread_id")),
            role=deviations.optional_label(m.get("role")),
            run=a.of(m.get("run_id")),
            status=deviations.optional_label(m.get("status")),
            text=a.text(message_text(m.get("content"))),
            annotations=tuple(annotation_summaries(a, m.get("content"))),
            created=_rank(ranks["message"], m.get("created_at")),
            where=m["where"],
        )
        for real, m in seen.messages.items()
    )
    resources = tuple(
        Resource(
            id=a.of(real) or real,
            real_id=real,
            kind=r["kind"],
            info=r["info"],
            lifecycle=tuple(r["lifecycle"]),
            statuses=collapse(r["statuses"]),
            files={f: collapse(s) for f, s in r["files"].items()},
        )
        for real, r in seen.resources.items()
    )
    return Transcript(
        source=c.source,
        requests=collapse(c.requests),
        runs=runs,
        messages=messages,
        listings=tuple(_listing(seen, item, ranks) for item in c.listings),
        streams=tuple(c.streams),
        errors=tuple(c.errors),
        resources=resources,
        aliases=dict(a.table),
        usage=c.usage,
    )


def _rank(ranks: dict[int, int], created_at: JSON) -> int | None:
    """The rank of a `created_at` among its kind's, when it is a timestamp at all."""
    return ranks.get(created_at) if isinstance(created_at, int) else None


def _run(seen: Observations, run: RunState, step_ranks: dict[int, int], usage: bool) -> RunTimeline:
    a = seen.a
    steps = sorted(
        run.steps.items(),
        key=lambda kv: (step_ranks.get(kv[1].get("created_at", -1), 0), kv[1]["where"]),
    )
    return RunTimeline(
        id=a.of(run.real_id) or run.real_id,
        real_id=run.real_id,
        thread=run.thread,
        assistant=run.assistant,
        events=tuple(run.events),
        steps=tuple(
            Step(
                id=a.of(real) or real,
                real_id=real,
                type=deviations.label(s.get("type")),
                statuses=collapse(s["statuses"]),
                message=a.of(s.get("message")),
                tool_calls=s.get("calls", ()),
                created=step_ranks.get(s.get("created_at", -1)),
                where=s["where"],
                last_error=s.get("last_error"),
            )
            for real, s in steps
        ),
        required_actions=tuple(run.required),
        submissions=tuple(run.submissions),
        last_error=run.last_error,
        incomplete=run.incomplete,
        usage=run.usage if usage else None,
    )


def _listing(seen: Observations, item: dict[str, Any], ranks: Ranks) -> Listing:
    a = seen.a
    listed: list[ListedItem] = []
    messages = item["kind"] == "messages"
    for obj in item["items"]:
        real = str(obj.get("id"))
        created = _rank(ranks["message" if messages else "step"], obj.get("created_at"))
        if messages:
            owner = a.of(obj.get("thread_id"))
            summary: dict[str, JSON] = {
                "role": deviations.optional_label(obj.get("role")),
                "text": a.text(message_text(obj.get("content"))),
            }
            notes = list(annotation_summaries(a, obj.get("content")))
            if notes:
                summary["annotations"] = notes
        else:
            owner = a.of(obj.get("run_id"))
            details = as_dict(obj.get("step_details"))
            summary = {
                "type": deviations.optional_label(details.get("type") or obj.get("type")),
                "status": deviations.optional_label(obj.get("status")),
            }
        listed.append(ListedItem(a.of(real) or real, owner, created, summary))
    return Listing(
        where=item["where"],
        kind=item["kind"],
        request=item["request"],
        owner=item["owner"],
        query=item["query"],
        items=tuple(listed),
        has_more=item["has_more"],
    )
