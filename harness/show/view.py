"""A cassette as the trace page's data: every interaction, a timeline per run or response,
errors and invariant violations where they struck, and the conversation (`conversation`).

Everything here is plain JSON data; the page (`harness.show.render`) draws it. What reads
any cassette lives here (operations come from `harness.api.match`, so Responses and
Conversations traffic is listed and timed as Assistants traffic is); what reads one API's
conversation lives behind `conversation.conversation_of`, the one seam to swap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from harness import api
from harness.api.deviations import error_fields
from harness.cassette.model import Cassette, Request
from harness.show.conversation import conversation_of
from harness.transcript import transcript

JSON = Any
# Objects with a lifecycle the timeline follows, by their `object` field.
_TIMED = frozenset({"thread.run", "response"})
# Fields a cassette leaves out when empty.
_EMPTY = frozenset({"query", "headers"})
# Requests that move a run or response on: operation -> (timeline event kind, its id param).
_ACTIONS = {
    "submit_tool_outputs_to_run": ("submit", "run_id"),
    "cancel_run": ("cancel", "run_id"),
    "cancel_response": ("cancel", "response_id"),
}


@dataclass(frozen=True)
class Departure:
    """Where a replay left the recording: the request no recorded one matched.

    `played` are the 0-based interactions the replay served; `request` is the unmatched
    request as a cassette would keep it (redacted); `message` the miss as reported."""

    request: Request | None
    message: str
    played: tuple[int, ...] = ()


def trace_data(
    cassette: Cassette,
    source: str,
    *,
    departure: Departure | None = None,
    outcome: str | None = None,
) -> dict[str, JSON]:
    """The trace page's data for `cassette` (`source` names it; `outcome` says how its test
    ended, when a test wrote the page)."""
    from harness.invariants import check

    built = transcript(cassette, source=source)
    found = matches(cassette)
    data: dict[str, JSON] = {
        "kind": "trace",
        "title": source,
        "meta": cassette.meta,
        "outcome": outcome,
        "interactions": interactions(cassette, found),
        "timelines": timelines(cassette, found, built.aliases),
        "errors": [{"where": e.where, **e.to_data()} for e in built.errors],
        "violations": [
            {"where": v.where, "rule": v.rule, "message": v.message}
            for v in check(built, source=source)
        ],
        "conversation": conversation_of(cassette, built, found),
        "departure": _departure(departure, len(cassette.interactions)) if departure else None,
    }
    return data


def matches(cassette: Cassette) -> list[api.Match | None]:
    """The operation each interaction calls (None: none the table knows), matched once."""
    seen: dict[tuple[str, str], api.Match | None] = {}
    out: list[api.Match | None] = []
    for interaction in cassette.interactions:
        key = (interaction.request.method, interaction.request.path)
        if key not in seen:
            seen[key] = api.match(*key)
        out.append(seen[key])
    return out


def interactions(cassette: Cassette, matched: Sequence[api.Match | None]) -> list[dict[str, JSON]]:
    """One entry per recorded interaction: what it was (method, path, operation, status) and
    its request and response as recorded."""
    out: list[dict[str, JSON]] = []
    for number, (interaction, found) in enumerate(
        zip(cassette.interactions, matched, strict=True), 1
    ):
        request, response = interaction.request, interaction.response
        entry: dict[str, JSON] = {
            "n": number,
            "method": request.method,
            "path": request.path + ("?" + urlencode(request.query) if request.query else ""),
            "op": found.name if found else None,
            "api": found.operation.api if found else None,
            "status": response.status,
            "request": _present(vars(request)),
            "response": _present(vars(response)),
        }
        if interaction.repeat > 1:
            entry["repeat"] = interaction.repeat
        if response.events is not None:
            entry["events"] = len(response.events)
        out.append(entry)
    return out


class _Timelines:
    def __init__(self, aliases: Mapping[str, str]) -> None:
        self.aliases = aliases
        self.lines: dict[str, dict[str, JSON]] = {}

    def line(self, real_id: str, kind: str) -> dict[str, JSON]:
        found = self.lines.get(real_id)
        if found is None:
            found = self.lines[real_id] = {
                "id": self.aliases.get(real_id, real_id),
                "real_id": real_id,
                "object": kind,
                "events": [],
                "polls": {},
            }
        elif kind and not found["object"]:
            found["object"] = kind  # first met in a submit or cancel's path
        return found

    def status(self, obj: JSON, where: int, count: int, via: str) -> None:
        if not isinstance(obj, dict) or obj.get("object") not in _TIMED:
            return
        real_id, status = obj.get("id"), obj.get("status")
        if not isinstance(real_id, str) or not isinstance(status, str):
            return
        line = self.line(real_id, str(obj["object"]))
        events: list[dict[str, JSON]] = line["events"]
        last = events[-1] if events else None
        again = (
            last is not None
            and last["kind"] == "status"
            and last["status"] == status
            and last["via"] == via
        )
        if again and last is not None and via == "poll":
            last["count"] += count  # polls that saw one status in a row
        elif not (again and via == "stream"):  # a stream says queued twice (created, queued)
            events.append(
                {"kind": "status", "status": status, "where": where, "count": count, "via": via}
            )
        if via == "poll":
            line["polls"][status] = line["polls"].get(status, 0) + count
        error = obj.get("last_error") or obj.get("error")
        if isinstance(error, dict) and not any(e["kind"] == "error" for e in events):
            events.append({"kind": "error", "where": where, "message": _error_text(error)})

    def stream(self, events: Iterable[dict[str, JSON]], where: int) -> None:
        """A stream's events as ticks, placed before the statuses it carried."""
        owner: str | None = None
        start = 0
        ticks: list[str] = []
        for event in events:
            data = event.get("data")
            name = str(event.get("event"))
            carried = data if isinstance(data, dict) else {}
            if carried.get("object") not in _TIMED and isinstance(carried.get("response"), dict):
                carried = carried["response"]  # Responses: `response.*` events wrap it
            if carried.get("object") in _TIMED and isinstance(carried.get("id"), str):
                if owner is None:
                    owner = carried["id"]
                    start = len(self.line(owner, str(carried["object"]))["events"])
                self.status(carried, where, 1, "stream")
            ticks.append(name)
            if name == "error" and owner is not None:
                message = _error_text(data.get("error") if isinstance(data, dict) else data)
                self.line(owner, "")["events"].append(
                    {"kind": "error", "where": where, "message": message}
                )
        if owner is not None:
            chip = {"kind": "stream", "where": where, "ticks": ticks}
            self.line(owner, "")["events"].insert(start, chip)


def timelines(
    cassette: Cassette, matched: Sequence[api.Match | None], aliases: Mapping[str, str]
) -> list[dict[str, JSON]]:
    """A timeline per run and per response: each status as observed (polls of one status in
    a row counted), the submits and cancels that moved it, its streams' events, its errors."""
    lines = _Timelines(aliases)
    for where, (interaction, found) in enumerate(
        zip(cassette.interactions, matched, strict=True), 1
    ):
        request, response = interaction.request, interaction.response
        action = _ACTIONS.get(found.name) if found else None
        if found is not None and action is not None:
            kind, param = action
            target = found.params.get(param)
            if target:
                entry: dict[str, JSON] = {"kind": kind, "where": where, "http": response.status}
                lines.line(target, "")["events"].append(entry)
        if response.events is not None:
            lines.stream(response.events, where)
        else:
            if isinstance(response.body, dict):
                via = "poll" if request.method == "GET" else "answer"
                lines.status(response.body, where, interaction.repeat, via)
            if not 200 <= response.status < 300 and found is not None:
                owner = found.params.get("run_id") or found.params.get("response_id")
                if owner is not None and owner in lines.lines:
                    said = _error_text(response.body, response.text)
                    lines.lines[owner]["events"].append(
                        {
                            "kind": "error",
                            "where": where,
                            "message": f"HTTP {response.status}: {said}",
                        }
                    )
    return list(lines.lines.values())


def _present(fields: dict[str, JSON]) -> dict[str, JSON]:
    """A request's or response's recorded fields, those it has: `to_data` without copies."""
    return {k: v for k, v in fields.items() if v is not None and (v or k not in _EMPTY)}


def _error_text(error: JSON, raw: str | None = None) -> str:
    """An error's code and message, whatever the body's shape (`harness.api.deviations`)."""
    found = error_fields(error, raw)
    return ": ".join(p for p in (found.code, found.message) if p) or "error"


def _departure(departure: Departure, count: int) -> dict[str, JSON]:
    played = sorted(departure.played)
    return {
        "after": (played[-1] + 1) if played else 0,
        "played": [index + 1 for index in played],
        "unplayed": sorted(set(range(1, count + 1)) - {index + 1 for index in played}),
        "request": departure.request.to_data() if departure.request else None,
        "message": departure.message,
    }
