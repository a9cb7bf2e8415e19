"""The lifecycles of the two APIs' units of work: a run (Assistants) and a response (Responses).

Each is a graph of statuses whose edges may be gated by a request the app made (a run
reaches `cancelling` only after an accepted cancel). `reachable` answers whether one observed
status can follow another through statuses nobody saw (polling sees a run now and then). How
a unit of work ends — which stamp it gets, what becomes of its open steps and messages, how
an ended response looks — lives here too, for the emulator and the fault overlays alike.

Runs:

    queued          -> in_progress | cancelling* | expired
    in_progress     -> requires_action | completed | failed | incomplete | cancelling* | expired
    requires_action -> queued** | cancelling* | expired
    cancelling      -> cancelled | completed | failed | incomplete | expired

Responses (background ones are seen queued and in progress; a plain one only ends):

    queued      -> in_progress | cancelled*
    in_progress -> completed | incomplete | failed | cancelled*

    *  only after an accepted cancel request   ** only after accepted tool outputs
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Mapping
from typing import Any

from harness.api.failures import failure

Edges = Mapping[str, tuple[tuple[str, str | None], ...]]

RUN_EDGES: Edges = {
    "queued": (("in_progress", None), ("cancelling", "cancel"), ("expired", None)),
    "in_progress": (
        ("requires_action", None),
        ("completed", None),
        ("failed", None),
        ("incomplete", None),
        ("cancelling", "cancel"),
        ("expired", None),
    ),
    "requires_action": (("queued", "submit"), ("cancelling", "cancel"), ("expired", None)),
    "cancelling": (
        ("cancelled", None),
        ("completed", None),
        ("failed", None),
        ("incomplete", None),
        ("expired", None),
    ),
}

RESPONSE_EDGES: Edges = {
    "queued": (("in_progress", None), ("cancelled", "cancel")),
    "in_progress": (
        ("completed", None),
        ("incomplete", None),
        ("failed", None),
        ("cancelled", "cancel"),
    ),
}

UNSUCCESSFUL_RUN_ENDS = ("failed", "expired", "cancelled", "incomplete")
"""The ways a run ends other than `completed`."""
UNSUCCESSFUL_RESPONSE_ENDS = ("failed", "cancelled", "incomplete")
"""The ways a response ends other than `completed`."""
UNSUCCESSFUL_ENDS = frozenset(UNSUCCESSFUL_RUN_ENDS + UNSUCCESSFUL_RESPONSE_ENDS)
CANCEL_STATUSES = frozenset({"cancelling", "cancelled"})
"""Where a cancel request takes a run (`cancelling`, then `cancelled`) or a response."""

RUN_END_STAMPS = {"completed": "completed_at", "cancelled": "cancelled_at", "failed": "failed_at"}
"""The timestamp field a run (or step) gets when it ends so; an expired one has only
`expires_at`, and `incomplete` none."""
STEP_END_OF_RUN = {"cancelled": "cancelled", "expired": "expired", "failed": "failed"}
"""What an open step becomes when its run ends so (`completed` otherwise)."""
MESSAGE_REASON_OF_RUN = {
    "cancelled": "run_cancelled",
    "expired": "run_expired",
    "failed": "run_failed",
}
"""The `incomplete_details.reason` of an open message when its run ends so."""


def reachable(edges: Edges, start: str, goal: str, gates: frozenset[str]) -> bool:
    """Whether `goal` follows `start` through unobserved statuses, given the requests made."""
    if start == goal:
        return True
    seen, todo = {start}, deque([start])
    while todo:
        status = todo.popleft()
        for following, gate in edges.get(status, ()):
            if (gate is None or gate in gates) and following not in seen:
                if following == goal:
                    return True
                seen.add(following)
                todo.append(following)
    return False


def run_ended(run: dict[str, Any], status: str, stamp: int) -> None:
    """Set what every run that ends `status` shows (besides its error or details): no required
    action, its end stamp, no expiry left."""
    run["status"] = status
    run["required_action"] = None
    if status in RUN_END_STAMPS:
        run[RUN_END_STAMPS[status]] = stamp
    if status != "expired":
        run["expires_at"] = None


def response_ended(
    response: Mapping[str, Any],
    status: str,
    *,
    error: Mapping[str, str] | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """`response` as it looks once it ended `status`: `error` for a failed one, `reason` the
    `incomplete_details.reason` of an incomplete one (`max_output_tokens` unless given)."""
    ended = copy.deepcopy(dict(response))
    ended["status"] = status
    ended["error"] = dict(error) if status == "failed" and error else None
    if status == "failed" and ended["error"] is None:
        ended["error"] = failure(None)
    ended["incomplete_details"] = (
        {"reason": reason or "max_output_tokens"} if status == "incomplete" else None
    )
    return ended
