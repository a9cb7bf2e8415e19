"""A run's life, in step with its clients: statuses, stream events, rest points, the end.

A run advances in the background (`engine.Engine` drives it), but only at the
pace its clients watch: after each status change it rests until a client has
been shown the new status (a response or a stream event) before it moves on,
or until `observe_hold` seconds pass with nobody looking. While a run rests,
its `Progress.idle` is set; every read of the run first waits for that, so a
client never sees a run half-way between two rest points. Together with the
logical clock (`clock.py`) this makes a conversation's responses depend only
on the requests made, not on their timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson

from harness.api.lifecycle import MESSAGE_REASON_OF_RUN, RUN_END_STAMPS, STEP_END_OF_RUN
from harness.emulator.backend import objects, rendering
from harness.emulator.backend.clock import Clock, Deadline
from harness.emulator.backend.store import Obj, RunRecord, ThreadRecord
from harness.emulator.options import EmulatorOptions

T = TypeVar("T")


class RunCancelled(Exception):
    """The client asked to cancel the run."""


class RunExpired(Exception):
    """The run passed its expiry deadline."""


class RunStopped(Exception):
    """An action ended the run (fail / incomplete); the state is already final."""


CHARS_PER_TOKEN = 4


def tokens(text: str) -> int:
    """A stand-in token count: about four characters a token."""
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


class RunControl:
    """What the engine and the step runner do to a run record."""

    def __init__(self, clock: Clock, options: EmulatorOptions) -> None:
        self.clock = clock
        self.options = options

    # stream events ------------------------------------------------------

    def emit(self, rec: RunRecord, event: str, payload: Obj) -> None:
        if rec.subscribers:
            data = orjson.dumps(rendering.streamed(payload, rec.include_content))
            for queue in rec.subscribers:
                queue.put_nowait((event, data))

    def close_streams(self, rec: RunRecord) -> None:
        for queue in rec.subscribers:
            queue.put_nowait(None)
        rec.subscribers.clear()

    # status -------------------------------------------------------------

    def set_status(self, rec: RunRecord, status: str) -> None:
        rec.obj["status"] = status
        progress = rec.progress
        progress.shown = bool(rec.subscribers)  # a stream shows it as it happens
        progress.unshown_since = time.monotonic()
        self.emit(rec, f"thread.run.{status}", rec.obj)

    def shown(self, rec: RunRecord) -> None:
        """A client has been sent the run as it is now."""
        if not rec.progress.shown:
            rec.progress.shown = True
            rec.progress.nudge()

    def _seen_or_held(self, rec: RunRecord) -> bool:
        progress = rec.progress
        hold = self.options.observe_hold
        return progress.shown or hold <= 0 or time.monotonic() - progress.unshown_since >= hold

    # rest points --------------------------------------------------------

    async def gate(self, rec: RunRecord) -> None:
        """Rest until a client has seen the current status. (The run does not expire here:
        only the emulator waits, on its clients.)"""
        await self._rest(rec, lambda: self._seen_or_held(rec), expires=False)

    async def sleep(self, rec: RunRecord, seconds: float) -> None:
        """Rest for `seconds` on the clock (a brain's `wait`)."""
        deadline = self.clock.deadline(seconds)
        await self._rest(rec, deadline.passed, deadline=deadline)

    async def stoppable(self, rec: RunRecord, work: Awaitable[T]) -> T:
        """Await `work` (code running in the sandbox) while a cancel may stop it: the cancel
        is answered at once and the work cancelled (which kills the code's processes)."""
        progress = rec.progress
        task = asyncio.ensure_future(work)
        progress.stoppable.set()
        try:
            while not task.done():
                if rec.cancel_requested:
                    raise RunCancelled
                progress.wake.clear()
                waker = asyncio.ensure_future(progress.wake.wait())
                try:
                    await asyncio.wait({task, waker}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waker.cancel()
            return task.result()
        finally:
            progress.stoppable.clear()
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task  # the process group is killed, its folder removed

    async def await_outputs(self, rec: RunRecord) -> None:
        """Rest in `requires_action` until the outputs arrive."""
        await self._rest(rec, lambda: rec.status != "requires_action")

    async def _rest(
        self,
        rec: RunRecord,
        done: Callable[[], bool],
        *,
        deadline: Deadline | None = None,
        expires: bool = True,
    ) -> None:
        progress = rec.progress
        progress.on_clock = deadline is not None or (expires and rec.expires is not None)
        try:
            while True:
                progress.idle.set()  # again after each nudge
                if rec.cancel_requested:
                    raise RunCancelled
                # A status nobody has seen is not left for expiry either.
                if (
                    expires
                    and rec.expires is not None
                    and rec.expires.passed()
                    and self._seen_or_held(rec)
                ):
                    raise RunExpired
                if done():
                    return
                progress.wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(progress.wake.wait(), self._timeout(rec, deadline))
        finally:
            progress.on_clock = False
            progress.idle.clear()

    def _timeout(self, rec: RunRecord, deadline: Deadline | None) -> float:
        """How long to sleep before something could change without a wake-up."""
        waits = [deadline.seconds_left()] if deadline else []
        if rec.expires is not None:
            waits.append(rec.expires.seconds_left())
        if not rec.progress.shown and self.options.observe_hold > 0:
            waits.append(
                self.options.observe_hold - (time.monotonic() - rec.progress.unshown_since)
            )
        return max(0.001, min(waits, default=3600.0))

    # steps and the end --------------------------------------------------

    def end_step(self, rec: RunRecord, step: Obj, status: str, error: Obj | None = None) -> None:
        step["status"] = status
        if status in RUN_END_STAMPS:  # an expired step has no stamp of its own: only `expires_at`
            step[RUN_END_STAMPS[status]] = self.clock.now()
        step["last_error"] = error
        step["usage"] = objects.usage(rec.prompt_tokens, rec.step_tokens.pop(step["id"], 0))
        self.emit(rec, f"thread.run.step.{status}", step)

    def finish(self, thread: ThreadRecord, rec: RunRecord, status: str, **fields: Any) -> None:
        """Move the run to a terminal status, closing its open steps and messages."""
        obj = rec.obj
        stamp = self.clock.now()
        error = fields.get("last_error")
        for step in rec.steps.values():
            if step["status"] == "in_progress":
                step_error = {"code": error["code"], "message": error["message"]} if error else None
                if step_error and step_error["code"] == "invalid_prompt":
                    step_error["code"] = "server_error"
                self.end_step(rec, step, STEP_END_OF_RUN.get(status, "completed"), step_error)
        for msg in thread.messages.values():
            if msg["run_id"] == obj["id"] and msg["status"] == "in_progress":
                msg["status"] = "incomplete"
                msg["incomplete_at"] = stamp
                msg["incomplete_details"] = {
                    "reason": MESSAGE_REASON_OF_RUN.get(status, "run_failed")
                }
                self.emit(rec, "thread.message.incomplete", msg)
        obj.update(fields)
        obj["required_action"] = None
        if status in RUN_END_STAMPS:
            obj[RUN_END_STAMPS[status]] = stamp
        if status != "expired":
            obj["expires_at"] = None
        obj["usage"] = objects.usage(rec.prompt_tokens, rec.completion_tokens)
        self.set_status(rec, status)
        self.close_streams(rec)
