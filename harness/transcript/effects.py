"""What a request itself tells about the conversation, looked up by its API operation.

`EFFECTS` maps an operation name (`harness.api`) to a small handler: a submission or a cancel
joins its run's timeline (whatever the answer), a successful create / modify / delete joins the
resource's lifecycle, a file added to or removed from a vector store joins the store's.
Operations without an entry tell nothing beyond their response.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.cassette.calls import outputs_of
from harness.cassette.model import Request, Response
from harness.transcript.model import RunEvent, Submission
from harness.transcript.observe import Observations
from harness.transcript.summaries import parse_json_text


@dataclass(frozen=True)
class Exchange:
    """One interaction of the cassette, with the path parameters of its operation."""

    where: int
    """1-based interaction number."""
    request: Request
    response: Response
    repeat: int
    params: Mapping[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.response.status < 300

    @property
    def body(self) -> dict[str, Any]:
        """The request's JSON body when it is an object, else empty."""
        return self.request.body if isinstance(self.request.body, dict) else {}


Effect = Callable[[Observations, Exchange], None]


def _submitted(seen: Observations, x: Exchange) -> None:
    run = seen.run(x.params["run_id"])
    outputs = tuple(
        (seen.a.of(call) or call, parse_json_text(output)) for call, output in outputs_of(x.request)
    )
    status = x.response.status
    ids = tuple(c for c, _ in outputs)
    # An identical submission repeated is one event seen `repeat` times, like a repeated poll.
    run.events.append(RunEvent("submit", x.where, None, ids, status, count=x.repeat))
    run.submissions.append(
        Submission(
            x.where,
            tuple((c, seen.a.deep(o)) for c, o in outputs),
            status,
            bool(x.body.get("stream")),
        )
    )


def _cancelled(seen: Observations, x: Exchange) -> None:
    run = seen.run(x.params["run_id"])
    run.events.append(RunEvent("cancel", x.where, http_status=x.response.status, count=x.repeat))


def _created(seen: Observations, x: Exchange) -> None:
    if x.ok and isinstance(x.response.body, dict):
        seen.lifecycle(x.response.body.get("id"), "created")


def _changed(what: str, param: str) -> Effect:
    """The resource named by path parameter `param` was `what` (modified, deleted)."""

    def effect(seen: Observations, x: Exchange) -> None:
        if x.ok:
            seen.lifecycle(x.params[param], what)

    return effect


def _files_added(seen: Observations, x: Exchange) -> None:
    if not x.ok:
        return
    file_ids = x.body.get("file_ids")
    for file_id in [x.body.get("file_id"), *(file_ids if isinstance(file_ids, list) else ())]:
        if file_id is not None:
            added = seen.a.of(file_id) or file_id
            seen.lifecycle(x.params["vector_store_id"], f"file_added {added}")


def _file_removed(seen: Observations, x: Exchange) -> None:
    if x.ok:
        removed = seen.a.of(x.params["file_id"]) or x.params["file_id"]
        seen.lifecycle(x.params["vector_store_id"], f"file_removed {removed}")


EFFECTS: Mapping[str, Effect] = {
    "submit_tool_outputs_to_run": _submitted,
    "cancel_run": _cancelled,
    "create_assistant": _created,
    "create_file": _created,
    "create_thread": _created,
    "create_vector_store": _created,
    "modify_assistant": _changed("modified", "assistant_id"),
    "modify_thread": _changed("modified", "thread_id"),
    "modify_vector_store": _changed("modified", "vector_store_id"),
    "delete_assistant": _changed("deleted", "assistant_id"),
    "delete_file": _changed("deleted", "file_id"),
    "delete_thread": _changed("deleted", "thread_id"),
    "delete_vector_store": _changed("deleted", "vector_store_id"),
    "create_vector_store_file": _files_added,
    "create_vector_store_file_batch": _files_added,
    "delete_vector_store_file": _file_removed,
}
