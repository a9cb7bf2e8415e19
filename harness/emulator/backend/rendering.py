"""How stored objects are shown: over REST and in stream events, which differed on the real API.

The emulator stores each object once, in its fullest form (`objects.py`), and
renders it here for where it is sent. The real API's differences, as recorded:
REST messages carried no `status`, `completed_at`, `incomplete_at` or
`incomplete_details` (stream events did), and a modified message came back in
the legacy shape (`file_ids`, no `attachments`); run steps carried the run's
`expires_at` in streams and null over REST; streamed runs and read threads
carried an empty `code_interpreter` resource that create and modify answers
left out.
"""

from __future__ import annotations

import copy

from harness.emulator.backend.store import Obj

STREAM_ONLY_MESSAGE_FIELDS = ("status", "incomplete_details", "completed_at", "incomplete_at")


def _with_code_interpreter(resources: Obj) -> Obj:
    return {"code_interpreter": {"file_ids": []}, **resources}


def rest_message(msg: Obj) -> Obj:
    """A message as create, retrieve and list answer it."""
    return {k: v for k, v in msg.items() if k not in STREAM_ONLY_MESSAGE_FIELDS}


def modified_message(msg: Obj) -> Obj:
    """A message as POST /threads/{t}/messages/{m} answers it: the v1-era `file_ids`."""
    out = {k: v for k, v in rest_message(msg).items() if k != "attachments"}
    out["file_ids"] = []
    return out


def read_thread(thread: Obj) -> Obj:
    """A thread as GET and the `thread.created` event show it."""
    return {**thread, "tool_resources": _with_code_interpreter(thread["tool_resources"])}


def streamed_run(run: Obj) -> Obj:
    return {**run, "tool_resources": _with_code_interpreter(run["tool_resources"])}


def rest_step(step: Obj, include_content: bool) -> Obj:
    """A run step as listed or retrieved: no `expires_at`, and file_search result content
    only when `include[]` asked for it."""
    return {**_without_content(step, include_content), "expires_at": None}


def streamed_step(step: Obj, include_content: bool) -> Obj:
    return _without_content(step, include_content)


def streamed(payload: Obj, include_content: bool) -> Obj:
    """A stream event's payload for a stored run, step or message."""
    kind = payload.get("object")
    if kind == "thread.run":
        return streamed_run(payload)
    if kind == "thread.run.step":
        return streamed_step(payload, include_content)
    return payload


def _without_content(step: Obj, include_content: bool) -> Obj:
    if include_content or step["type"] != "tool_calls":
        return step
    calls = step["step_details"]["tool_calls"]
    if not any(c["type"] == "file_search" for c in calls):
        return step
    out = copy.deepcopy(step)
    for call in out["step_details"]["tool_calls"]:
        for result in (call.get("file_search") or {}).get("results") or []:
            result.pop("content", None)
    return out
