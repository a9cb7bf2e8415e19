"""What every kind of run step needs: the run it belongs to, new steps and their deltas, token
counts, and the simple actions (`wait`, `fail`, `incomplete`)."""

from __future__ import annotations

import asyncio

from harness.api.failures import failure
from harness.emulator.backend import objects
from harness.emulator.backend.store import Obj, RunRecord, Store, ThreadRecord
from harness.emulator.engine.brain import Action
from harness.emulator.engine.deltas import MAX_DELTAS, pieces
from harness.emulator.engine.runs import RunControl, RunStopped, tokens
from harness.emulator.engine.templates import Gathered


class StepBase:
    """Carries out one run's actions; `control` changes the run, `store` is read for files."""

    def __init__(
        self,
        control: RunControl,
        store: Store,
        thread: ThreadRecord,
        rec: RunRecord,
        assistant: Obj,
        got: Gathered,
    ) -> None:
        self.control = control
        self.clock = control.clock
        self.options = control.options
        self.store = store
        self.thread = thread
        self.rec = rec
        self.assistant = assistant
        self.got = got
        self.kinds = {t["type"] for t in rec.obj["tools"]}
        self.functions = {
            t["function"]["name"] for t in rec.obj["tools"] if t["type"] == "function"
        }

    async def execute(self, action: Action) -> None:
        handler = getattr(self, f"_do_{action.kind}", None)
        if handler is None:  # a hosted tool of the Responses API (web_search, mcp)
            self._fail(
                f"The emulator's brain used {action.kind}, a tool the Assistants API does not "
                "have: only responses carry it out."
            )
            return
        await handler(action)

    def _pieces(self, text: str, size: int) -> list[tuple[int, int]]:
        """Delta spans, only when a stream will carry them; never more than MAX_DELTAS, since
        a client's cost per delta grows with the text so far (the SDK rebuilds its snapshot)."""
        if not self.rec.subscribers:
            return []
        return pieces(text, max(size, -(-len(text) // MAX_DELTAS)))

    async def _yield(self) -> None:
        if self.rec.subscribers:
            await asyncio.sleep(0)

    def _fail(self, message: str, code: str = "server_error") -> None:
        self.control.finish(
            self.thread, self.rec, "failed", last_error={"code": code, "message": message}
        )
        raise RunStopped

    def _new_step(self, step_type: str, details: Obj) -> Obj:
        step = objects.step(self.clock, self.rec.obj, step_type, details)
        self.rec.steps[step["id"]] = step
        self.control.emit(self.rec, "thread.run.step.created", step)
        self.control.emit(self.rec, "thread.run.step.in_progress", step)
        return step

    def _step_delta(self, step: Obj, call_delta: Obj) -> None:
        self.control.emit(
            self.rec,
            "thread.run.step.delta",
            {
                "id": step["id"],
                "object": "thread.run.step.delta",
                "delta": {"step_details": {"type": "tool_calls", "tool_calls": [call_delta]}},
            },
        )

    def _count(self, step: Obj, text: str) -> None:
        n = tokens(text)
        self.rec.step_tokens[step["id"]] = self.rec.step_tokens.get(step["id"], 0) + n
        self.rec.completion_tokens += n

    # actions ------------------------------------------------------------

    async def _do_wait(self, action: Action) -> None:
        await self.control.sleep(self.rec, action.seconds)

    async def _do_fail(self, action: Action) -> None:
        self._fail(action.text or failure(action.code)["message"], action.code)

    async def _do_incomplete(self, action: Action) -> None:
        self.control.finish(
            self.thread, self.rec, "incomplete", incomplete_details={"reason": action.text}
        )
        raise RunStopped
