"""The run engine: starts runs, takes cancels and tool outputs, and drives each run to its end.

A run is created `queued`, moves to `in_progress`, carries out what the brain
decides (`steps.py`) and ends `completed`, `failed`, `incomplete`,
`cancelled` or `expired`, resting in `requires_action` while it waits for
function outputs. The pace is its clients' (`runs.py`). Every change is also
published to the run's stream subscribers; a stream ends when the run reaches
`requires_action` or a terminal status.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from harness.api import TERMINAL_RUN_STATUSES
from harness.emulator.backend import objects
from harness.emulator.backend.clock import Clock
from harness.emulator.backend.store import Obj, RunRecord, Store, StreamItem, ThreadRecord
from harness.emulator.engine.brain import Brain, RunContext, Script
from harness.emulator.engine.runs import RunCancelled, RunControl, RunExpired, RunStopped, tokens
from harness.emulator.engine.steps import StepRunner
from harness.emulator.engine.templates import Gathered
from harness.emulator.engine.view import LiveRun, Meter
from harness.emulator.errors import bad_request
from harness.emulator.options import EmulatorOptions

log = logging.getLogger(__name__)


class Engine(RunControl):
    def __init__(
        self,
        store: Store,
        clock: Clock,
        brain: Callable[[], Brain],
        options: EmulatorOptions,
        on_message: Callable[[ThreadRecord, Obj], None],
        on_note: Callable[[str], None] = lambda note: None,
    ) -> None:
        super().__init__(clock, options)
        self.store = store
        self.brain = brain
        self.on_message = on_message
        self.on_note = on_note
        self.tasks: set[asyncio.Task[Any]] = set()
        self.live: dict[str, RunRecord] = {}
        """Runs whose drive has not ended."""
        self.meters: dict[str, Meter] = {}
        """Token counts reported by a model brain, by run."""

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def shutdown(self) -> None:
        """Stop all background work and end every open stream."""
        for rec in self.store.runs():
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
                self.clock,
                thread_id,
                extra["role"],
                objects.content_parts(extra["content"]),
                attachments=extra.get("attachments"),
                metadata=extra.get("metadata"),
            )
            thread.messages[msg["id"]] = msg
            self.on_message(thread, msg)
        snapshot = dict(assistant)
        obj = objects.run(
            self.clock, thread_id, snapshot, body, expires_in=self.options.run_expiry_seconds
        )
        ctx = self.context(thread, snapshot, obj)
        brain = self.brain()
        script = brain.script(ctx)
        note = brain.hint(ctx)
        if note is not None:
            self.on_note(note)
        expires = self.clock.deadline(script.expires_in or self.options.run_expiry_seconds)
        obj["expires_at"] = expires.at
        rec = RunRecord(obj, include_content=include_content, expires=expires)
        rec.prompt_tokens = tokens(obj["instructions"]) + sum(
            tokens(objects.message_text(m)) for m in thread.messages.values()
        )
        thread.runs[obj["id"]] = rec
        if subscriber is not None:
            rec.subscribers.append(subscriber)
        self.emit(rec, "thread.run.created", obj)
        self.emit(rec, "thread.run.queued", obj)
        self.live[obj["id"]] = rec
        rec.progress.task = self.spawn(self._drive(thread, rec, snapshot, script))
        return rec

    def context(self, thread: ThreadRecord, assistant: Obj, run: Obj) -> RunContext:
        user = next(
            (m for m in reversed(thread.messages.values()) if m["role"] == "user"),
            None,
        )
        return RunContext(
            user_message=objects.message_text(user) if user else "",
            assistant_name=assistant.get("name"),
            tools=tuple(run["tools"]),
            tool_choice=run["tool_choice"],
            has_vector_stores=bool(self.store.search_store_ids(thread, assistant)),
            response_format=run["response_format"],
        )

    def cancel(self, rec: RunRecord) -> None:
        status = rec.status
        if status in TERMINAL_RUN_STATUSES or status == "cancelling":
            raise bad_request(f"Cannot cancel run with status '{status}'.")
        self.set_status(rec, "cancelling")
        rec.cancel_requested = True
        rec.progress.nudge()

    def submit_tool_outputs(
        self,
        rec: RunRecord,
        outputs: list[Obj],
        subscriber: asyncio.Queue[StreamItem] | None = None,
    ) -> None:
        status = rec.status
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
        rec.progress.nudge()

    def stop(self, rec: RunRecord) -> None:
        """Stop a run's background work (its thread was deleted)."""
        if rec.progress.task is not None:
            rec.progress.task.cancel()
        self.close_streams(rec)
        rec.progress.idle.set()

    async def _drive(
        self, thread: ThreadRecord, rec: RunRecord, assistant: Obj, script: Script
    ) -> None:
        ctx = self.context(thread, assistant, rec.obj)
        got = Gathered(user_message=ctx.user_message, assistant_name=assistant.get("name") or "")
        runner = StepRunner(self, self.store, thread, rec, assistant, got)
        meter = self.meters[rec.obj["id"]] = Meter()
        view = LiveRun(self.store, thread, rec, assistant, runner, meter)

        async def start() -> None:
            await self.gate(rec)
            rec.obj["started_at"] = self.clock.now()
            self.set_status(rec, "in_progress")
            await self.gate(rec)

        await self.play(thread, rec, start, script, view, runner)

    async def play(
        self,
        thread: ThreadRecord,
        rec: RunRecord,
        start: Callable[[], Awaitable[None]],
        script: Script,
        view: LiveRun,
        runner: StepRunner,
    ) -> None:
        """`start`, then the script's actions, to the run's end: whatever happens (a cancel,
        the expiry, a bug), the run ends in a terminal status and its clients are let go."""
        try:
            await start()
            while (action := await script.next_action(view)) is not None:
                await runner.execute(action)
            self.finish(thread, rec, "completed")
        except RunCancelled:
            self.finish(thread, rec, "cancelled")
        except RunExpired:
            self.finish(thread, rec, "expired")
        except RunStopped:
            pass
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must fail the run, not hang its clients
            log.exception("emulator run %s crashed", rec.obj["id"])
            error = {"code": "server_error", "message": f"The emulator failed: {exc!r}"[:500]}
            self.finish(thread, rec, "failed", last_error=error)
        finally:
            rec.progress.idle.set()
            self.live.pop(rec.obj["id"], None)
            self.meters.pop(rec.obj["id"], None)

    def end_step(self, rec: RunRecord, step: Obj, status: str, error: Obj | None = None) -> None:
        """End a step; under a model brain, with the counts of the answer that made it."""
        meter = self.meters.get(rec.obj["id"])
        if meter is not None and meter.defer_next:  # ends with a stand-in usage for now
            meter.defer_next = False
            meter.unpriced.append(step)
        if meter is None or not meter.charged:
            super().end_step(rec, step, status, error)
            return
        rec.completion_tokens -= rec.step_tokens.get(step["id"], 0)  # the estimate
        rec.step_tokens[step["id"]] = meter.take()
        total, rec.prompt_tokens = rec.prompt_tokens, meter.prompt
        try:
            super().end_step(rec, step, status, error)
        finally:
            rec.prompt_tokens = total
