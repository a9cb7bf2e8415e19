"""The backend's state and what every operation shares: objects, runs in progress, the brain,
the clock, and `dispatch`, which carries out one request and moves the clock on."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from harness.emulator.backend import recorded, recorded_responses
from harness.emulator.backend.checks import check_metadata
from harness.emulator.backend.clock import Clock
from harness.emulator.backend.inputs import Page
from harness.emulator.backend.store import Obj, RunRecord, Store, StreamItem, ThreadRecord, paginate
from harness.emulator.engine.brain import Brain, load_brain
from harness.emulator.engine.run_engine import Engine
from harness.emulator.http.sse import EventStream
from harness.emulator.options import EmulatorOptions
from harness.emulator.tools.ingestion import Ingestion

Result = Obj | bytes | EventStream


class BackendState:
    """All state of one emulator: objects, runs in progress, the brain, the clock."""

    def __init__(self, brain: Any = None, options: EmulatorOptions | None = None) -> None:
        self.options = options or EmulatorOptions()
        self.default_brain: Brain = load_brain(brain)
        self._fresh(None, self.default_brain)

    def _fresh(self, seed: str | None, brain: Brain) -> None:
        self.brain = brain
        self.clock = Clock(seed)
        self.store = Store()
        self.notes: list[str] = []
        """What a test author should know about this state's runs (no rule matched, ...)."""
        self.engine = Engine(
            self.store,
            self.clock,
            lambda: self.brain,
            self.options,
            self._attach_for_search,
            self._note,
        )
        self.ingestion = Ingestion(
            self.store, self.clock, self.engine.spawn, self.options.observe_hold
        )

    # control ------------------------------------------------------------

    async def reset(self, seed: str | None = None, brain: Any = None) -> None:
        """Forget every object and stop all background work.

        The brain goes back to the one the emulator started with unless `brain`
        gives rules for what follows; `seed` makes ids and time reproducible.
        """
        new_brain = load_brain(brain) if brain is not None else self.default_brain
        await self.engine.shutdown()
        self._fresh(seed, new_brain)

    def _note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def set_brain(self, rules: Any) -> None:
        """Rules for the runs created from now on, until the next reset."""
        self.brain = load_brain(rules)

    def counts(self) -> dict[str, int]:
        store = self.store
        return {
            "assistants": len(store.assistants),
            "threads": len(store.threads),
            "messages": sum(len(t.messages) for t in store.threads.values()),
            "runs": len(store.runs()),
            "files": len(store.files),
            "vector_stores": len(store.vector_stores),
            "rules": len(self.brain.rules),
        }

    async def shutdown(self) -> None:
        await self.engine.shutdown()

    async def dispatch(self, operation: str, arguments: dict[str, Any]) -> Result:
        """Carry out one API request; the clock moves on once it is answered."""
        body = arguments.get("body")
        if isinstance(body, dict) and "metadata" in body:
            body["metadata"] = check_metadata(body["metadata"])
        try:
            result = getattr(self, operation)(**arguments)
            if inspect.isawaitable(result):
                result = await result
            return result  # type: ignore[no-any-return]
        finally:
            self.clock.tick()
            for rec in self.engine.live.values():
                if rec.progress.on_clock:
                    rec.progress.wake.set()  # rests until a moment look at the clock again

    async def learn(self, objects: list[Obj]) -> None:
        """Take in objects as a recording showed them, each as last shown (fault overlays
        continue a recorded conversation from there; see `recorded.py`)."""
        recorded.learn(self.store, self.clock, objects)
        recorded_responses.resume_calls(self.store, self.brain)

    async def reserve(self, ids: set[str]) -> None:
        """Ids a recording used: the ids minted from now on never take one."""
        self.clock.reserve(ids)

    async def take_over(self, thread_id: str) -> None:
        """Answer for a learned thread from now on: its runs the recording left active go on
        under the brain's rules."""
        recorded.take_over(self.engine, thread_id)

    def _attach_for_search(self, thread: ThreadRecord, message: Obj) -> None:
        """Files attached for file_search go into the thread's vector store, made on demand."""
        files = [
            a["file_id"]
            for a in message.get("attachments") or []
            if any(t["type"] == "file_search" for t in a.get("tools", []))
        ]
        if not files:
            return
        resources = thread.obj["tool_resources"]
        ids = (resources.get("file_search") or {}).get("vector_store_ids") or []
        vs = self.store.vector_stores.get(ids[0]) if ids else None
        if vs is None:
            vs = self.ingestion.create_store({"name": ""})
            resources["file_search"] = {"vector_store_ids": [vs.obj["id"]]}
        for file_id in files:
            if file_id not in vs.files:
                self.ingestion.add_file(vs, file_id, None, None)

    # shared -------------------------------------------------------------

    def _tool_resources(self, resources: Obj | None) -> Obj:
        """Check the ids in `tool_resources` (404s) and create inline `vector_stores`."""
        out = dict(resources or {})
        for file_id in (out.get("code_interpreter") or {}).get("file_ids") or []:
            self.store.file(file_id)
        search = out.get("file_search")
        if not search:
            return out
        ids = list(search.get("vector_store_ids") or [])
        for vs_id in ids:
            self.store.vector_store(vs_id)
        for spec in search.get("vector_stores") or []:
            for file_id in spec.get("file_ids") or []:
                self.store.file(file_id)
        for spec in search.get("vector_stores") or []:
            vs = self.ingestion.create_store(
                {
                    "metadata": spec.get("metadata"),
                    "file_ids": spec.get("file_ids"),
                    "chunking_strategy": spec.get("chunking_strategy"),
                }
            )
            ids.append(vs.obj["id"])
        out["file_search"] = {"vector_store_ids": ids}
        return out


def paginated(items: list[Obj], page: Page, shown: Callable[[Obj], Obj] | None = None) -> Obj:
    return paginate(
        items,
        limit=page.limit,
        order=page.order,
        after=page.after,
        before=page.before,
        shown=shown,
    )


def with_status(items: list[Obj], status: str | None) -> list[Obj]:
    return items if status is None else [f for f in items if f["status"] == status]


def event_stream(
    rec: RunRecord, queue: asyncio.Queue[StreamItem], first: list[tuple[str, bytes]] | None = None
) -> EventStream:
    def unsubscribe() -> None:
        if queue in rec.subscribers:
            rec.subscribers.remove(queue)

    return EventStream(queue, first or [], unsubscribe)
