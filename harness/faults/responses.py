"""The responses a fault puts in place of recorded ones: an API error, a run that ended early
(as a run object, or as the stream's last events), a stream that stops, other arguments."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from harness.api import failures
from harness.api.lifecycle import MESSAGE_REASON_OF_RUN, STEP_END_OF_RUN, response_ended, run_ended
from harness.cassette.model import Response
from harness.faults.spec import RESPONSE_INCOMPLETE_REASONS, Fault, failure_code, incomplete_reason

Obj = dict[str, Any]


def http_error(status: int) -> Response:
    """The API's error answer for `status` (with `retry-after` where the API sends one)."""
    headers = {"content-type": "application/json", **failures.error_headers(status)}
    return Response(status, headers, failures.http_error(status))


def end_run(run: Obj, fault: Fault) -> Obj:
    """`run` as it looks once it ended as `fault` says."""
    ended = copy.deepcopy(run)
    now = 1 + max(
        v for v in (run.get("created_at"), run.get("started_at"), 0) if isinstance(v, int)
    )
    status = fault.name
    run_ended(ended, status, now)
    if status == "failed":
        ended["last_error"] = failures.failure(failure_code(fault))
    elif status == "incomplete":
        ended["incomplete_details"] = {"reason": incomplete_reason(fault)}
    return ended


def end_stream(events: Sequence[Obj], run: Obj, fault: Fault) -> tuple[Obj, ...]:
    """`events` (those sent before the fault) and then the end a real stream shows: open steps
    and messages closed, the run's final event, `done` (`run` is the run as last shown)."""
    ended = end_run(run, fault)
    status = fault.name
    steps: dict[str, Obj] = {}
    messages: dict[str, Obj] = {}
    for event in events:
        data = event.get("data")
        if isinstance(data, dict) and data.get("object") == "thread.run.step":
            steps[str(data.get("id"))] = data
        elif isinstance(data, dict) and data.get("object") == "thread.message":
            messages[str(data.get("id"))] = data
    tail: list[Obj] = []
    for step in steps.values():
        if step.get("status") == "in_progress":
            closed = {**step, "status": STEP_END_OF_RUN.get(status, "completed")}
            if status == "failed":
                closed["last_error"] = ended["last_error"]
            tail.append({"event": f"thread.run.step.{closed['status']}", "data": closed})
    for message in messages.values():
        if message.get("status") == "in_progress":
            reason = MESSAGE_REASON_OF_RUN.get(status, "run_failed")
            closed = {**message, "status": "incomplete", "incomplete_details": {"reason": reason}}
            tail.append({"event": "thread.message.incomplete", "data": closed})
    tail.append({"event": f"thread.run.{status}", "data": ended})
    tail.append({"event": "done", "data": "[DONE]"})
    return (*events, *tail)


def end_response(response: Obj, fault: Fault) -> Obj:
    """`response` as it looks once it ended as `fault` says."""
    if fault.name == "failed":
        return response_ended(response, "failed", error=failures.failure(failure_code(fault)))
    reason = fault.detail if fault.detail in RESPONSE_INCOMPLETE_REASONS else None
    return response_ended(response, fault.name, reason=reason)


def end_response_stream(events: Sequence[Obj], fault: Fault) -> tuple[Obj, ...]:
    """A Responses stream whose last event (`response.completed`) says it ended as `fault`
    says instead (`response.failed`, `response.incomplete`), its sequence number kept."""
    *head, last = events
    data = dict(last.get("data") or {})
    kind = f"response.{fault.name}"
    data.update(type=kind, response=end_response(dict(data.get("response") or {}), fault))
    return (*head, {"event": kind, "data": data})


def is_run_event(event: Obj) -> bool:
    data = event.get("data")
    return isinstance(data, dict) and data.get("object") == "thread.run"


def half_way(count: int) -> int:
    """Where `cut@stream_N` (no event given) stops a stream of `count` events: half-way."""
    return max(1, count // 2)


def replacement_arguments(recorded: str, fault: Fault) -> str:
    """The arguments text `arguments[:DETAIL]` puts in place of `recorded`."""
    variant = fault.detail or "empty"
    if variant == "empty":
        return "{}"
    if variant == "malformed":
        return recorded[: max(1, len(recorded) // 2)]
    return variant
