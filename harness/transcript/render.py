"""A transcript as plain data: the snapshot view, or with `detail` the counts and ids."""

from __future__ import annotations

from collections.abc import Iterable

from harness.transcript.model import (
    JSON,
    Listing,
    Message,
    Resource,
    RunTimeline,
    StatusSpan,
    Step,
    Transcript,
)

# ----------------------------------------------------------------------------- rendering


def _spans(spans: Iterable[StatusSpan], detail: bool) -> list[JSON]:
    return [[s.status, s.count] if detail else s.status for s in spans]


def render(t: Transcript, detail: bool) -> dict[str, JSON]:
    data: dict[str, JSON] = {}
    if detail:
        data["source"] = t.source
    data["requests"] = _spans(t.requests, detail)
    resources = [_render_resource(r, detail) for r in t.resources]
    for kind, key in (
        ("assistant", "assistants"),
        ("thread", "threads"),
        ("file", "files"),
        ("vector_store", "vector_stores"),
        ("vector_store.files_batch", "file_batches"),
    ):
        chosen = [r for r, res in zip(resources, t.resources, strict=True) if res.kind == kind]
        if chosen:
            data[key] = chosen
    if t.runs:
        data["runs"] = [_render_run(r, detail, t.usage) for r in t.runs]
    if t.messages:
        data["messages"] = [_render_message(m, detail) for m in t.messages]
    if t.listings:
        data["listings"] = [_render_listing(item, detail) for item in t.listings]
    if t.streams:
        data["streams"] = [
            {"request": s.request, "run": s.run, "events": _spans(s.collapsed(), detail)}
            for s in t.streams
        ]
    if t.errors:
        data["errors"] = [
            {
                "request": e.request,
                "status": e.status,
                "type": e.type,
                "code": e.code,
                "message": e.message,
            }
            for e in t.errors
        ]
    if detail:
        data["ids"] = {alias: real for real, alias in t.aliases.items()}
    return data


def _render_resource(r: Resource, detail: bool) -> dict[str, JSON]:
    out: dict[str, JSON] = {"id": r.id, **r.info, "lifecycle": list(r.lifecycle)}
    if r.statuses:
        out["statuses"] = _spans(r.statuses, detail)
    if r.files:
        out["files"] = {f: _spans(s, detail) for f, s in r.files.items()}
    return out


def _render_run(r: RunTimeline, detail: bool, usage: bool) -> dict[str, JSON]:
    out: dict[str, JSON] = {
        "id": r.id,
        "statuses": _spans(r.statuses, detail),  # next to the id, so a diff names the run
        "thread": r.thread,
        "assistant": r.assistant,
    }
    if r.required_actions:
        out["required_actions"] = [[c.to_data() for c in calls] for calls in r.required_actions]
    if r.submissions:
        out["submissions"] = [
            {
                "outputs": [{"call": c, "output": o} for c, o in s.outputs],
                **({"stream": True} if s.stream else {}),
                **({"http_status": s.http_status} if not 200 <= s.http_status < 300 else {}),
            }
            for s in r.submissions
        ]
    if r.steps:
        out["steps"] = [_render_step(s, detail) for s in r.steps]
    if r.last_error:
        out["last_error"] = dict(r.last_error)
    if r.incomplete:
        out["incomplete"] = r.incomplete
    if usage and r.usage:
        out["usage"] = dict(r.usage)
    return out


def _render_step(s: Step, detail: bool) -> dict[str, JSON]:
    out: dict[str, JSON] = {"id": s.id, "type": s.type, "statuses": _spans(s.statuses, detail)}
    if s.message:
        out["message"] = s.message
    if s.tool_calls:
        out["tool_calls"] = [c.to_data() for c in s.tool_calls]
    if s.last_error:
        out["last_error"] = dict(s.last_error)
    if detail:
        out["created"] = s.created
    return out


def _render_message(m: Message, detail: bool) -> dict[str, JSON]:
    out: dict[str, JSON] = {
        "id": m.id,
        "thread": m.thread,
        "role": m.role,
        "run": m.run,
        "status": m.status,
        "text": m.text,
    }
    if m.annotations:
        out["annotations"] = [dict(a) for a in m.annotations]
    if detail:
        out["created"] = m.created
    return out


def _render_listing(item: Listing, detail: bool) -> dict[str, JSON]:
    entries: list[JSON] = []
    for listed in item.items:
        entry: dict[str, JSON] = {"id": listed.id, **listed.summary}
        if detail:
            entry["created"] = listed.created
        entries.append(entry)
    out: dict[str, JSON] = {"request": item.request, "kind": item.kind}
    if item.query:
        out["query"] = dict(item.query)
    out["items"] = entries
    if item.has_more:
        out["has_more"] = True
    return out
