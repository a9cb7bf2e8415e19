"""Vector store ingestion: a file added to a store is read, chunked and indexed in the background.

Adding a file creates its `vector_store.file` in `in_progress`, which the
response shows; the file is read when a client next reads the store, its
files or its batches (or a run searches it), and that read waits for the
outcome (`VectorStoreRecord.ready`): `completed`, or `failed` with
`unsupported_file`. So a client polling a file sees `in_progress` once and
then the outcome, however fast it polls, and a batch cancelled before anyone
looked is cancelled whatever the timing. With nobody reading, files are read
after `observe_hold` seconds. Counts on the store and on batches follow, kept as each
file changes (never recounted over the store's files).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from harness.emulator.backend import objects
from harness.emulator.backend.clock import Clock
from harness.emulator.backend.store import Obj, Store, VectorStoreRecord
from harness.emulator.errors import bad_request
from harness.emulator.tools.file_search import UnsupportedFile, chunk_text, extract_text

Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]


class Ingestion:
    def __init__(self, store: Store, clock: Clock, spawn: Spawn, hold: float) -> None:
        self.store = store
        self.clock = clock
        self.spawn = spawn
        self.hold = hold

    def create_store(self, body: Obj) -> VectorStoreRecord:
        for file_id in body.get("file_ids") or []:
            self.store.file(file_id)
        vs = VectorStoreRecord(objects.vector_store(self.clock, body))
        self.store.vector_stores[vs.obj["id"]] = vs
        for file_id in body.get("file_ids") or []:
            self.add_file(vs, file_id, body.get("chunking_strategy"), None)
        return vs

    def add_file(
        self,
        vs: VectorStoreRecord,
        file_id: str,
        chunking: Obj | None,
        attributes: Any,
        batch_id: str | None = None,
    ) -> Obj:
        self.store.file(file_id)  # 404 for an unknown file
        strategy = objects.chunking_strategy(chunking)
        static = strategy["static"]
        if static["chunk_overlap_tokens"] > static["max_chunk_size_tokens"] // 2:
            raise bad_request(
                "Invalid 'chunking_strategy.static.chunk_overlap_tokens': must not exceed half of "
                "max_chunk_size_tokens.",
                param="chunking_strategy.static.chunk_overlap_tokens",
            )
        obj = objects.vector_store_file(self.clock, vs.obj["id"], file_id, strategy, attributes)
        vs.chunks.pop(file_id, None)
        vs.put_file(obj, batch_id)
        self.publish(vs)
        asked = asyncio.Event()
        task = self.spawn(self._process(vs, obj, asked))
        vs.ingesting[task] = asked
        task.add_done_callback(lambda done: vs.ingesting.pop(done, None))
        return obj

    async def _process(self, vs: VectorStoreRecord, obj: Obj, asked: asyncio.Event) -> None:
        if self.hold > 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asked.wait(), self.hold)
        if vs.files.get(obj["id"]) is not obj or obj["status"] != "in_progress":
            return  # removed or cancelled before anyone looked
        file_id = obj["id"]
        frec = self.store.files.get(file_id)
        if frec is None:
            obj["last_error"] = {"code": "invalid_file", "message": f"File {file_id} was deleted."}
            vs.set_file_status(obj, "failed")
        else:
            try:
                if frec.text is None:
                    frec.text = await asyncio.to_thread(
                        extract_text, frec.obj["filename"], frec.content
                    )
                static = obj["chunking_strategy"]["static"]
                chunks = chunk_text(
                    file_id,
                    frec.text,
                    static["max_chunk_size_tokens"],
                    static["chunk_overlap_tokens"],
                )
            except UnsupportedFile as exc:
                obj["last_error"] = {"code": "unsupported_file", "message": str(exc)}
                vs.set_file_status(obj, "failed")
            else:
                if vs.files.get(file_id) is not obj or obj["status"] != "in_progress":
                    return  # removed or cancelled meanwhile
                vs.chunks[file_id] = chunks
                vs.set_file_status(obj, "completed", len(frec.text.encode("utf-8")))
        self.publish(vs)

    def remove_file(self, vs: VectorStoreRecord, file_id: str) -> None:
        vs.drop_file(file_id)
        self.publish(vs)

    def publish(self, vs: VectorStoreRecord) -> None:
        """Show the store's counts (kept as files change: see `VectorStoreRecord`)."""
        counts = objects.file_counts()
        counts.update(vs.counts)
        counts["total"] = sum(vs.counts.values())
        vs.obj["file_counts"] = counts
        vs.obj["usage_bytes"] = vs.usage_bytes
        if vs.obj["status"] != "expired":
            vs.obj["status"] = "in_progress" if counts["in_progress"] else "completed"

    def create_batch(
        self, vs: VectorStoreRecord, entries: list[Obj], chunking: Obj | None, attributes: Any
    ) -> Obj:
        for entry in entries:
            self.store.file(entry["file_id"])
        batch = objects.file_batch(self.clock, vs.obj["id"], len(entries))
        batch["file_counts"] = objects.file_counts()  # each file counts itself in as it is added
        vs.batches[batch["id"]] = batch
        vs.batch_files[batch["id"]] = []
        for entry in entries:
            self.add_file(
                vs,
                entry["file_id"],
                entry.get("chunking_strategy") or chunking,
                entry.get("attributes", attributes),
                batch_id=batch["id"],
            )
        return batch

    def cancel_batch(self, vs: VectorStoreRecord, batch: Obj) -> None:
        if batch["status"] != "in_progress":
            raise bad_request(
                f"Cannot cancel a vector store file batch with status '{batch['status']}'."
            )
        for file_id in vs.batch_files.get(batch["id"], []):
            f = vs.files.get(file_id)
            if f is not None and f["status"] == "in_progress":
                vs.set_file_status(f, "cancelled")
        batch["status"] = "cancelled"
        self.publish(vs)
