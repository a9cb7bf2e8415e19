"""The run engine: the run state machine, advanced in the background on the event loop.

A run is created `queued`, moves to `in_progress`, executes its plan (the
brain's actions, carried out by `steps.py`) and ends `completed`, `failed`,
`incomplete`, `cancelled` or `expired`, stopping in `requires_action` while it
waits for function outputs. Every transition is also published as a stream
event to the run's subscribers (the SSE responses); a stream ends when the
run reaches `requires_action` or a terminal state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from typing import Any

import orjson

from harness.emulator import objects
from harness.emulator.brain import Brain, Plan, RunContext
from harness.emulator.errors import bad_request
from harness.emulator.options import EmulatorOptions
from harness.emulator.store import (
    TERMINAL_RUN_STATUSES,
    Obj,
    RunRecord,
    Store,
    ThreadRecord,
    now,
)
from harness.emulator.templates import Gathered

log = logging.getLogger(__name__)
StreamItem = tuple[str, bytes] | None
_STEP_END = {"cancelled": "cancelled", "expired": "expired", "failed": "failed"}
_MESSAGE_REASON = {"cancelled": "run_cancelled", "expired": "run_expired", "failed": "run_failed"}


class RunCancelled(Exception):
    """The client asked to cancel the run."""


class RunExpired(Exception):
    """The run passed its expiry deadline."""


class RunStopped(Exception):
    """The plan ended the run (fail / incomplete); the state is already final."""


def tokens(text: str) -> int:
    """A stand-in token count: about four characters a token."""
    return math.ceil(len(text) / 4) if text else 0


class Engine:
    def __init__(self, store: Store, brain: Callable[[], Brain], options: EmulatorOptions) -> None:
        self.store = store
        self.brain = brain
        self.options = options
        self.tasks: set[asyncio.Task[Any]] = set()
        self.on_message: Callable[[ThreadRecord, Obj], None] = lambda thread, msg: None

    # events -------------------------------------------------------------

    def emit(self, rec: RunRecord, event: str, payload: Obj) -> None:
        if rec.subscribers:
            if payload.get("object") == "thread.run.step":
                payload = objects.public_step(payload, rec.include_content)
            data = orjson.dumps(payload)
            for queue in rec.subscribers:
                queue.put_nowait((event, data))

    def close_streams(self, rec: RunRecord) -> None:
        for queue in rec.subscribers:
            queue.put_nowait(None)
        rec.subscribers.clear()

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def shutdown(self) -> None:
        """Stop all background work and end every open stream."""
        for thread in self.store.threads.values():
            for rec in thread.runs.values():
                self.close_streams(rec)
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # lifecycle ----------------------------------------------------------

    def create_run(
        self,
        thread: ThreadRecord,
        assistant: Obj,
        body: Obj,
        *,
        include_content: bool = False,
        subscriber: asyncio.Queue[StreamItem] | None = None,
    ) -> RunRecord:
        thread_id = thread.obj["id"]
        active = thread.active_run()
        if active is not None:
            raise bad_request(f"Thread {thread_id} already has an active run {active.obj['id']}.")
        for extra in body.get("additional_messages") or []:
            msg = objects.message(
                thread_id,
                extra["role"],
                objects.content_parts(extra["content"]),
                attachments=extra.get("attachments"),
                metadata=extra.get("metadata"),
            )
            thread.messages[msg["id"]] = msg
            self.on_message(thread, msg)
        snapshot = dict(assistant)
        obj = objects.run(thread_id, snapshot, body, expires_in=self.options.run_expiry_seconds)
        plan = self.brain().plan(self._context(thread, snapshot, obj))
        expires_in = plan.expires_in or self.options.run_expiry_seconds
        obj["expires_at"] = obj["created_at"] + max(1, math.ceil(expires_in))
        rec = RunRecord(
            obj, include_content=include_content, deadline=time.monotonic() + expires_in
        )
        rec.prompt_tokens = tokens(obj["instructions"]) + sum(
            tokens(objects.message_text(m)) for m in thread.messages.values()
        )
        thread.runs[obj["id"]] = rec
        if subscriber is not None:
            rec.subscribers.append(subscriber)
        self.emit(rec, "thread.run.created", obj)
        self.emit(rec, "thread.run.queued", obj)
        rec.task = self.spawn(self._drive(thread, rec, snapshot, plan))
        return rec

    def _context(self, thread: ThreadRecord, assistant: Obj, run: Obj) -> RunContext:
        user = next(
            (m for m in reversed(thread.messages.values()) if m["role"] == "user"),
            None,
        )
        return RunContext(
            user_message=objects.message_text(user) if user else "",
            assistant_name=assistant.get("name"),
            tools=tuple(run["tools"]),
            tool_choice=run["tool_choice"],
            has_vector_stores=bool(self.vector_store_ids(thread, assistant)),
            response_format=run["response_format"],
        )

    def vector_store_ids(self, thread: ThreadRecord, assistant: Obj) -> list[str]:
        ids: list[str] = []
        for owner in (assistant, thread.obj):
            ids += ((owner.get("tool_resources") or {}).get("file_search") or {}).get(
                "vector_store_ids"
            ) or []
        return [i for i in dict.fromkeys(ids) if i in self.store.vector_stores]

    def cancel(self, rec: RunRecord) -> None:
        status = rec.obj["status"]
        if status in TERMINAL_RUN_STATUSES or status == "cancelling":
            raise bad_request(f"Cannot cancel run with status '{status}'.")
        self.set_status(rec, "cancelling")
        rec.cancel_requested = True
        rec.wake.set()

    def submit_tool_outputs(
        self,
        rec: RunRecord,
        outputs: list[Obj],
        subscriber: asyncio.Queue[StreamItem] | None = None,
    ) -> None:
        status = rec.obj["status"]
        if status != "requires_action":
            raise bad_request(f'Runs in status "{status}" do not accept tool outputs.')
        pending = [c["id"] for c in rec.obj["required_action"]["submit_tool_outputs"]["tool_calls"]]
        given = [o.get("tool_call_id") for o in outputs]
        duplicates = sorted({i for i in given if given.count(i) > 1}, key=given.index)
        if duplicates:
            raise bad_request(f"Duplicate call_ids submitted: {duplicates}", param="tool_outputs")
        if sorted(given, key=str) != sorted(pending):
            raise bad_request(
                f"Expected tool outputs for call_ids {pending}, got {given}", param="tool_outputs"
            )
        for i, item in enumerate(outputs):
            if not isinstance(item.get("output"), str):
                raise bad_request(
                    f"Invalid type for 'tool_outputs[{i}].output': expected a string, but got "
                    f"{'null' if item.get('output') is None else 'a non-string value'} instead.",
                    param=f"tool_outputs[{i}].output",
                    code="invalid_type",
                )
        if subscriber is not None:
            rec.subscribers.append(subscriber)
        by_id = {o["tool_call_id"]: o["output"] for o in outputs}
        rec.outputs.update(by_id)
        for step in rec.steps.values():
            if step["status"] != "in_progress" or step["type"] != "tool_calls":
                continue
            for call in step["step_details"]["tool_calls"]:
                if call["type"] == "function" and call["id"] in by_id:
                    call["function"]["output"] = by_id[call["id"]]
            self.end_step(rec, step, "completed")
        rec.obj["required_action"] = None
        self.set_status(rec, "queued")
        rec.wake.set()

    # transitions --------------------------------------------------------

    def set_status(self, rec: RunRecord, status: str) -> None:
        rec.obj["status"] = status
        rec.shown_at = time.monotonic() if rec.subscribers else None
        rec.status_since = time.monotonic()
        self.emit(rec, f"thread.run.{status}", rec.obj)

    def shown(self, rec: RunRecord) -> None:
        """A client has been sent the run as it is now (see `observe_hold`)."""
        if rec.shown_at is None:
            rec.shown_at = time.monotonic()
            rec.wake.set()

    def _unseen(self, rec: RunRecord) -> bool:
        """Whether the current status still waits to be shown to a client."""
        if rec.shown_at is not None or self.options.observe_hold <= 0:
            return False
        return time.monotonic() - rec.status_since < self.options.observe_hold

    def end_step(self, rec: RunRecord, step: Obj, status: str, error: Obj | None = None) -> None:
        step["status"] = status
        step[
            {
                "completed": "completed_at",
                "cancelled": "cancelled_at",
                "expired": "expired_at",
                "failed": "failed_at",
            }[status]
        ] = now()
        step["last_error"] = error
        completion = rec.step_tokens.pop(step["id"], 0)
        step["usage"] = {
            "prompt_tokens": rec.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": rec.prompt_tokens + completion,
        }
        self.emit(rec, f"thread.run.step.{status}", step)

    def finish(self, thread: ThreadRecord, rec: RunRecord, status: str, **fields: Any) -> None:
        """Move the run to a terminal status, closing its open steps and messages."""
        obj = rec.obj
        stamp = now()
        error = fields.get("last_error")
        for step in rec.steps.values():
            if step["status"] == "in_progress":
                step_error = {"code": error["code"], "message": error["message"]} if error else None
                if step_error and step_error["code"] == "invalid_prompt":
                    step_error["code"] = "server_error"
                self.end_step(rec, step, _STEP_END.get(status, "completed"), step_error)
        for msg in thread.messages.values():
            if msg["run_id"] == obj["id"] and msg["status"] == "in_progress":
                msg["status"] = "incomplete"
                msg["incomplete_at"] = stamp
                msg["incomplete_details"] = {"reason": _MESSAGE_REASON.get(status, "run_failed")}
                self.emit(rec, "thread.message.incomplete", msg)
        obj.update(fields)
        obj["required_action"] = None
        stamp_field = {
            "completed": "completed_at",
            "cancelled": "cancelled_at",
            "failed": "failed_at",
        }
        if status in stamp_field:
            obj[stamp_field[status]] = stamp
        if status != "expired":
            obj["expires_at"] = None
        obj["usage"] = {
            "prompt_tokens": rec.prompt_tokens,
            "completion_tokens": rec.completion_tokens,
            "total_tokens": rec.prompt_tokens + rec.completion_tokens,
            "prompt_token_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        }
        self.set_status(rec, status)
        self.close_streams(rec)

    async def pause(self, rec: RunRecord, seconds: float) -> None:
        """Sleep, but wake for a cancel request and stop at the expiry deadline."""
        end = time.monotonic() + seconds
        while True:
            if rec.cancel_requested:
                raise RunCancelled
            unseen = self._unseen(rec)
            left_to_expiry = rec.deadline - time.monotonic()
            if left_to_expiry <= 0 and not unseen:
                raise RunExpired
            left = end - time.monotonic()
            if left <= 0:
                if not unseen:
                    return
                left = 0.01
            left_to_expiry = max(left_to_expiry, 0.01)
            rec.wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(rec.wake.wait(), min(left, left_to_expiry))

    async def await_outputs(self, rec: RunRecord) -> None:
        while rec.obj["status"] == "requires_action":
            if rec.cancel_requested:
                raise RunCancelled
            left = rec.deadline - time.monotonic()
            if left <= 0:
                if not self._unseen(rec):
                    raise RunExpired
                left = 0.01
            rec.wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(rec.wake.wait(), left)

    async def _drive(
        self, thread: ThreadRecord, rec: RunRecord, assistant: Obj, plan: Plan
    ) -> None:
        from harness.emulator.steps import StepRunner  # steps imports this module

        delay = self.options.step_delay
        ctx = self._context(thread, assistant, rec.obj)
        got = Gathered(user_message=ctx.user_message, assistant_name=assistant.get("name") or "")
        runner = StepRunner(self, thread, rec, assistant, got)
        try:
            await self.pause(rec, delay)
            rec.obj["started_at"] = now()
            self.set_status(rec, "in_progress")
            for action in plan.actions:
                await self.pause(rec, delay)
                await runner.execute(action)
            await self.pause(rec, delay)
            self.finish(thread, rec, "completed")
        except RunCancelled:
            await asyncio.sleep(delay)
            self.finish(thread, rec, "cancelled")
        except RunExpired:
            self.finish(thread, rec, "expired")
        except RunStopped:
            pass
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must fail the run, not hang its clients
            log.exception("emulator run %s crashed", rec.obj["id"])
            self.finish(
                thread,
                rec,
                "failed",
                last_error={
                    "code": "server_error",
                    "message": f"The emulator failed: {exc!r}"[:500],
                },
            )
