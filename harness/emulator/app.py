"""The ASGI app: one `Emulator` (store + run engine + ingestion + brain) behind starlette routes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from harness.emulator.brain import Brain, load_brain
from harness.emulator.options import EmulatorOptions
from harness.emulator.runs import Engine
from harness.emulator.store import Store, ThreadRecord
from harness.emulator.vectors import Ingestion


class Emulator:
    """All state of one emulator instance; the routes hold a reference to it."""

    def __init__(self, brain: Any = None, options: EmulatorOptions | None = None) -> None:
        self.options = options or EmulatorOptions()
        self.brain: Brain = load_brain(brain)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._fresh()

    def _fresh(self) -> None:
        self.store = Store()
        self.engine = Engine(self.store, lambda: self.brain, self.options)
        self.ingestion = Ingestion(self.store, self.engine.spawn, self.options)
        self.engine.on_message = self.attach_for_search

    async def reset(self) -> None:
        """Forget every object and stop every background task; the brain stays."""
        await self.engine.shutdown()
        self._fresh()

    def set_brain(self, rules: Any) -> None:
        self.brain = load_brain(rules)

    def resolve_tool_resources(self, resources: dict[str, Any] | None) -> dict[str, Any]:
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

    def attach_for_search(self, thread: ThreadRecord, message: dict[str, Any]) -> None:
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

    def counts(self) -> dict[str, int]:
        store = self.store
        return {
            "assistants": len(store.assistants),
            "threads": len(store.threads),
            "messages": sum(len(t.messages) for t in store.threads.values()),
            "runs": sum(len(t.runs) for t in store.threads.values()),
            "files": len(store.files),
            "vector_stores": len(store.vector_stores),
            "rules": len(self.brain.rules),
        }


def create_app(
    brain: dict[str, Any] | list[Any] | str | Path | None = None,
    options: EmulatorOptions | None = None,
    *,
    emulator: Emulator | None = None,
) -> Starlette:
    """The emulator as an ASGI app; `app.state.emulator` is its `Emulator`."""
    from harness.emulator.routes import routes

    emu = emulator or Emulator(brain, options)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        emu.loop = asyncio.get_running_loop()
        try:
            yield
        finally:
            await emu.engine.shutdown()

    app = Starlette(routes=routes(emu), lifespan=lifespan)
    app.state.emulator = emu
    return app
