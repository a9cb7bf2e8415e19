"""The emulator's backend, in moto's shape: one method per API operation, every rule and every
state change of the emulated Assistants API in one class.

Method names are the operation names of `harness.api` (`create_run`,
`submit_tool_outputs_to_run`, ...), and their parameters say what each takes:
path parameters by name, `body` (the JSON body, already checked against the
spec's schema), `page` (a list's cursor), `include_content` (`include[]`),
`upload` (a multipart file) and query parameters by name. The HTTP layer
(`responses.py`) parses a request into those, calls the method through
`dispatch` and renders what it returns: a JSON object, bytes, or an
`EventStream` (objects are shown as REST or streams showed them: `rendering.py`).
Reads of a run, its thread's messages and steps, or a vector store first wait
for the object's background work to rest (`runs.py`, `ingestion.py`), so what
a client sees depends only on the requests it made.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import orjson

from harness.emulator import objects, recorded, rendering
from harness.emulator.brain import Brain, load_brain
from harness.emulator.checks import check_content, check_metadata
from harness.emulator.clock import Clock
from harness.emulator.engine import Engine
from harness.emulator.errors import bad_request, not_found
from harness.emulator.file_search import UnsupportedFile, extract_text, matches_filter, rank
from harness.emulator.ingestion import Ingestion
from harness.emulator.inputs import Page, Upload
from harness.emulator.options import EmulatorOptions
from harness.emulator.sse import EventStream
from harness.emulator.store import (
    FileRecord,
    Obj,
    RunRecord,
    Store,
    StreamItem,
    ThreadRecord,
    VectorStoreRecord,
    paginate,
)

PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
_UPLOAD_FIELDS = {"purpose", "expires_after[anchor]", "expires_after[seconds]"}
Result = Obj | bytes | EventStream


class AssistantsBackend:
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
                rec.progress.wake.set()  # time-based rests look at the clock again

    async def learn(self, objects: list[Obj]) -> None:
        """Take in objects as a recording showed them, each as last shown (fault overlays
        continue a recorded conversation from there; see `recorded.py`)."""
        recorded.learn(self.store, self.clock, objects)

    async def take_over(self, thread_id: str) -> None:
        """Answer for a learned thread from now on: its runs the recording left active go on
        under the brain's rules."""
        recorded.take_over(self.engine, thread_id)

    # assistants ---------------------------------------------------------

    def create_assistant(self, body: Obj) -> Obj:
        body["tool_resources"] = self._tool_resources(body.get("tool_resources"))
        obj = objects.assistant(self.clock, body)
        self.store.assistants[obj["id"]] = obj
        return obj

    def list_assistants(self, page: Page) -> Obj:
        return _page(list(self.store.assistants.values()), page)

    def get_assistant(self, assistant_id: str) -> Obj:
        return self.store.assistant(assistant_id)

    def modify_assistant(self, assistant_id: str, body: Obj) -> Obj:
        obj = self.store.assistant(assistant_id)
        if "tool_resources" in body:
            body["tool_resources"] = self._tool_resources(body["tool_resources"])
        objects.update_assistant(obj, body)
        return obj

    def delete_assistant(self, assistant_id: str) -> Obj:
        obj = self.store.assistant(assistant_id)
        del self.store.assistants[obj["id"]]
        return objects.deleted(obj["id"], "assistant.deleted")

    # threads ------------------------------------------------------------

    def create_thread(self, body: Obj) -> Obj:
        return self._new_thread(body).obj

    async def create_thread_and_run(self, body: Obj, include_content: bool = False) -> Result:
        self.store.assistant(body["assistant_id"])
        thread_body = dict(body.get("thread") or {})
        if body.get("tool_resources") and not thread_body.get("tool_resources"):
            thread_body["tool_resources"] = body["tool_resources"]
        thread = self._new_thread(thread_body)
        run_body = {k: v for k, v in body.items() if k not in ("thread", "tool_resources")}
        first = [("thread.created", orjson.dumps(rendering.read_thread(thread.obj)))]
        return self._start_run(thread, run_body, include_content, first)

    def get_thread(self, thread_id: str) -> Obj:
        return rendering.read_thread(self.store.thread(thread_id).obj)

    def modify_thread(self, thread_id: str, body: Obj) -> Obj:
        thread = self.store.thread(thread_id)
        if "metadata" in body:
            thread.obj["metadata"] = body["metadata"]
        if "tool_resources" in body:
            resources = self._tool_resources(body["tool_resources"])
            thread.obj["tool_resources"] = objects.normalize_tool_resources(resources)
        return thread.obj

    def delete_thread(self, thread_id: str) -> Obj:
        thread = self.store.thread(thread_id)
        del self.store.threads[thread.obj["id"]]
        for rec in thread.runs.values():
            self.engine.stop(rec)
        return objects.deleted(thread.obj["id"], "thread.deleted")

    def _new_thread(self, body: Obj) -> ThreadRecord:
        messages = [
            self._message_fields(m, f"messages[{i}]")
            for i, m in enumerate(body.get("messages") or [])
        ]
        resources = self._tool_resources(body.get("tool_resources"))
        thread = ThreadRecord(
            objects.thread(
                self.clock, body.get("metadata"), objects.normalize_tool_resources(resources)
            )
        )
        for fields in messages:
            self._add_message(thread, fields)
        self.store.threads[thread.obj["id"]] = thread
        return thread

    # messages -----------------------------------------------------------

    async def create_message(self, thread_id: str, body: Obj) -> Obj:
        thread = await self._settled_thread(thread_id)
        fields = self._message_fields(body)
        active = thread.active_run()
        if active is not None:
            raise bad_request(
                f"Can't add messages to {thread.obj['id']} "
                f"while a run {active.obj['id']} is active."
            )
        return rendering.rest_message(self._add_message(thread, fields))

    async def list_messages(self, thread_id: str, page: Page, run_id: str | None = None) -> Obj:
        thread = await self._settled_thread(thread_id)
        items = list(thread.messages.values())
        if run_id:
            items = [m for m in items if m["run_id"] == run_id]
        return _page([rendering.rest_message(m) for m in items], page)

    async def get_message(self, thread_id: str, message_id: str) -> Obj:
        await self._settled_thread(thread_id)
        return rendering.rest_message(self.store.message(thread_id, message_id))

    async def modify_message(self, thread_id: str, message_id: str, body: Obj) -> Obj:
        await self._settled_thread(thread_id)
        msg = self.store.message(thread_id, message_id)
        if "metadata" in body:
            msg["metadata"] = body["metadata"]
        return rendering.modified_message(msg)

    def delete_message(self, thread_id: str, message_id: str) -> Obj:
        thread = self.store.thread(thread_id)
        msg = self.store.message(thread.obj["id"], message_id)
        del thread.messages[msg["id"]]
        return objects.deleted(msg["id"], "thread.message.deleted")

    def _message_fields(self, body: Obj, param: str = "content") -> Obj:
        check_content(body["content"], param)
        for attachment in body.get("attachments") or []:
            self.store.file(attachment["file_id"])
        return {
            "role": body["role"],
            "content": objects.content_parts(body["content"]),
            "attachments": body.get("attachments"),
            "metadata": check_metadata(body.get("metadata")),
        }

    def _add_message(self, thread: ThreadRecord, fields: Obj) -> Obj:
        msg = objects.message(self.clock, thread.obj["id"], **fields)
        thread.messages[msg["id"]] = msg
        self._attach_for_search(thread, msg)
        return msg

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

    # runs ---------------------------------------------------------------

    async def create_run(self, thread_id: str, body: Obj, include_content: bool = False) -> Result:
        thread = await self._settled_thread(thread_id)
        for i, extra in enumerate(body.get("additional_messages") or []):
            self._message_fields(extra, f"additional_messages[{i}]")  # checks only
        return self._start_run(thread, body, include_content, [])

    async def list_runs(self, thread_id: str, page: Page) -> Obj:
        thread = await self._settled_thread(thread_id)
        for rec in thread.runs.values():
            self.engine.shown(rec)
        return _page([r.obj for r in thread.runs.values()], page)

    async def get_run(self, thread_id: str, run_id: str) -> Obj:
        rec = await self._settled_run(thread_id, run_id)
        return self._show(rec)

    async def modify_run(self, thread_id: str, run_id: str, body: Obj) -> Obj:
        rec = await self._settled_run(thread_id, run_id)
        if "metadata" in body:
            rec.obj["metadata"] = body["metadata"]
        return self._show(rec)

    async def cancel_run(self, thread_id: str, run_id: str) -> Obj:
        rec = await self._settled_run(thread_id, run_id)
        self.engine.cancel(rec)
        return self._show(rec)

    async def submit_tool_outputs_to_run(self, thread_id: str, run_id: str, body: Obj) -> Result:
        rec = await self._settled_run(thread_id, run_id)
        if not body.get("stream"):
            self.engine.submit_tool_outputs(rec, body["tool_outputs"])
            return self._show(rec)
        queue: asyncio.Queue[StreamItem] = asyncio.Queue()
        self.engine.submit_tool_outputs(rec, body["tool_outputs"], queue)
        return _stream(rec, queue)

    async def list_run_steps(
        self, thread_id: str, run_id: str, page: Page, include_content: bool = False
    ) -> Obj:
        rec = await self._settled_run(thread_id, run_id)
        steps = [rendering.rest_step(s, include_content) for s in rec.steps.values()]
        return _page(steps, page)

    async def get_run_step(
        self, thread_id: str, run_id: str, step_id: str, include_content: bool = False
    ) -> Obj:
        rec = await self._settled_run(thread_id, run_id)
        step = rec.steps.get(step_id)
        if step is None:
            raise not_found("step", step_id)
        return rendering.rest_step(step, include_content)

    def _start_run(
        self,
        thread: ThreadRecord,
        body: Obj,
        include_content: bool,
        first: list[tuple[str, bytes]],
    ) -> Result:
        assistant = self.store.assistant(body["assistant_id"])
        if not body.get("stream"):
            rec = self.engine.create_run(thread, assistant, body, include_content=include_content)
            return self._show(rec)
        queue: asyncio.Queue[StreamItem] = asyncio.Queue()
        rec = self.engine.create_run(
            thread, assistant, body, include_content=include_content, subscriber=queue
        )
        return _stream(rec, queue, first)

    def _show(self, rec: RunRecord) -> Obj:
        self.engine.shown(rec)
        return rec.obj

    async def _settled_thread(self, thread_id: str) -> ThreadRecord:
        thread = self.store.thread(thread_id)
        for rec in list(thread.runs.values()):
            await rec.progress.idle.wait()
        return self.store.thread(thread_id)  # it may have been deleted meanwhile

    async def _settled_run(self, thread_id: str, run_id: str) -> RunRecord:
        await self.store.run(thread_id, run_id).progress.idle.wait()
        return self.store.run(thread_id, run_id)

    # files --------------------------------------------------------------

    def create_file(self, upload: Upload) -> Obj:
        extra = sorted(set(upload.fields) - _UPLOAD_FIELDS)
        if extra:
            raise bad_request(f"Unrecognized request argument supplied: {extra[0]}")
        purpose = upload.fields.get("purpose")
        if purpose is None:
            raise bad_request(
                "Missing required parameter: 'purpose'.",
                param="purpose",
                code="missing_required_parameter",
            )
        if purpose not in PURPOSES:
            raise bad_request(
                f"Invalid value: '{purpose}'. Supported values are: "
                + ", ".join(f"'{p}'" for p in PURPOSES[:-1])
                + f", and '{PURPOSES[-1]}'.",
                param="purpose",
                code="invalid_value",
            )
        if len(upload.content) > self.options.max_file_bytes:
            raise bad_request(
                f"File is too large. The maximum is {self.options.max_file_bytes} bytes.",
                param="file",
                code="file_too_large",
            )
        expires_at = self._file_expiry(
            upload.fields.get("expires_after[anchor]"), upload.fields.get("expires_after[seconds]")
        )
        obj = objects.file(
            self.clock, upload.filename or "upload", len(upload.content), purpose, expires_at
        )
        self.store.files[obj["id"]] = FileRecord(obj, upload.content)
        return obj

    def _file_expiry(self, anchor: str | None, seconds: str | None) -> int | None:
        if anchor is None and seconds is None:
            return None
        if anchor != "created_at":
            raise bad_request(
                f"Invalid value: '{anchor}'. Supported values are: 'created_at'.",
                param="expires_after.anchor",
                code="invalid_value",
            )
        try:
            value = int(str(seconds))
        except ValueError:
            raise bad_request(
                "Invalid type for 'expires_after.seconds': expected an integer.",
                param="expires_after.seconds",
                code="invalid_type",
            ) from None
        if not 3600 <= value <= 2592000:
            raise bad_request(
                "Invalid 'expires_after.seconds': expected a value between 3600 and 2592000, "
                f"but got {value}.",
                param="expires_after.seconds",
                code="invalid_value",
            )
        return self.clock.now() + value

    def list_files(self, page: Page, purpose: str | None = None) -> Obj:
        items = [
            f.obj
            for f in self.store.files.values()
            if purpose is None or f.obj["purpose"] == purpose
        ]
        return _page(items, page)

    def retrieve_file(self, file_id: str) -> Obj:
        return self.store.file(file_id).obj

    def delete_file(self, file_id: str) -> Obj:
        rec = self.store.file(file_id)
        del self.store.files[rec.obj["id"]]
        return objects.deleted(rec.obj["id"], "file")

    def download_file(self, file_id: str) -> bytes:
        return self.store.file(file_id).content

    # vector stores ------------------------------------------------------

    def create_vector_store(self, body: Obj) -> Obj:
        return self.ingestion.create_store(body).obj

    async def list_vector_stores(self, page: Page) -> Obj:
        for vs in list(self.store.vector_stores.values()):
            await vs.ready()
        return _page([vs.obj for vs in self.store.vector_stores.values()], page)

    async def get_vector_store(self, vector_store_id: str) -> Obj:
        return (await self._ready_store(vector_store_id)).obj

    async def modify_vector_store(self, vector_store_id: str, body: Obj) -> Obj:
        vs = await self._ready_store(vector_store_id)
        for key in ("name", "metadata"):
            if key in body:
                vs.obj[key] = (
                    body[key]
                    if body[key] is not None
                    else ({} if key == "metadata" else vs.obj[key])
                )
        if "expires_after" in body:
            days = (body["expires_after"] or {}).get("days")
            if days:
                vs.obj["expires_after"] = body["expires_after"]
                vs.obj["expires_at"] = vs.obj["last_active_at"] + days * 86400
            else:
                vs.obj.pop("expires_after", None)
                vs.obj["expires_at"] = None
        return vs.obj

    def delete_vector_store(self, vector_store_id: str) -> Obj:
        vs = self.store.vector_store(vector_store_id)
        del self.store.vector_stores[vs.obj["id"]]
        # as the real API does, owners stop referring to a deleted store
        owners = [*self.store.assistants.values(), *(t.obj for t in self.store.threads.values())]
        for owner in owners:
            search = (owner.get("tool_resources") or {}).get("file_search")
            if search and vs.obj["id"] in search.get("vector_store_ids", []):
                search["vector_store_ids"].remove(vs.obj["id"])
        return objects.deleted(vs.obj["id"], "vector_store.deleted")

    async def search_vector_store(self, vector_store_id: str, body: Obj) -> Obj:
        vs = await self._ready_store(vector_store_id)
        query = body["query"]
        flt = body.get("filters")
        chunks = [
            chunk
            for file_id, file_chunks in vs.chunks.items()
            if vs.files.get(file_id, {}).get("status") == "completed"
            and matches_filter(vs.files[file_id].get("attributes") or {}, flt)
            for chunk in file_chunks
        ]
        threshold = float((body.get("ranking_options") or {}).get("score_threshold") or 0.0)
        hits = rank(chunks, query, body.get("max_num_results", 10), threshold)
        vs.obj["last_active_at"] = self.clock.now()
        data = []
        for hit in hits:
            frec = self.store.files.get(hit.chunk.file_id)
            data.append(
                {
                    "file_id": hit.chunk.file_id,
                    "filename": frec.obj["filename"] if frec else "",
                    "score": hit.score,
                    "attributes": vs.files[hit.chunk.file_id].get("attributes") or {},
                    "content": [{"type": "text", "text": hit.chunk.text}],
                }
            )
        return {
            "object": "vector_store.search_results.page",
            "search_query": query if isinstance(query, list) else [query],
            "data": data,
            "has_more": False,
            "next_page": None,
        }

    async def _ready_store(self, vector_store_id: str) -> VectorStoreRecord:
        await self.store.vector_store(vector_store_id).ready()
        return self.store.vector_store(vector_store_id)

    # vector store files -------------------------------------------------

    def create_vector_store_file(self, vector_store_id: str, body: Obj) -> Obj:
        vs = self.store.vector_store(vector_store_id)
        return self.ingestion.add_file(
            vs, body["file_id"], body.get("chunking_strategy"), body.get("attributes")
        )

    async def list_vector_store_files(
        self, vector_store_id: str, page: Page, filter: str | None = None
    ) -> Obj:
        vs = await self._ready_store(vector_store_id)
        return _page(_with_status(list(vs.files.values()), filter), page)

    async def get_vector_store_file(self, vector_store_id: str, file_id: str) -> Obj:
        await self._ready_store(vector_store_id)
        return self.store.vector_store_file(vector_store_id, file_id)

    async def update_vector_store_file_attributes(
        self, vector_store_id: str, file_id: str, body: Obj
    ) -> Obj:
        await self._ready_store(vector_store_id)
        obj = self.store.vector_store_file(vector_store_id, file_id)
        obj["attributes"] = dict(body.get("attributes") or {})
        return obj

    def delete_vector_store_file(self, vector_store_id: str, file_id: str) -> Obj:
        vs = self.store.vector_store(vector_store_id)
        obj = self.store.vector_store_file(vs.obj["id"], file_id)
        self.ingestion.remove_file(vs, obj["id"])
        return objects.deleted(obj["id"], "vector_store.file.deleted")

    async def retrieve_vector_store_file_content(self, vector_store_id: str, file_id: str) -> Obj:
        vs = await self._ready_store(vector_store_id)
        self.store.vector_store_file(vs.obj["id"], file_id)
        frec = self.store.file(file_id)
        try:
            text = (
                frec.text
                if frec.text is not None
                else extract_text(frec.obj["filename"], frec.content)
            )
        except UnsupportedFile:
            text = ""
        return {
            "object": "vector_store.file_content.page",
            "data": [{"type": "text", "text": text}] if text else [],
            "has_more": False,
            "next_page": None,
        }

    # file batches -------------------------------------------------------

    def create_vector_store_file_batch(self, vector_store_id: str, body: Obj) -> Obj:
        vs = self.store.vector_store(vector_store_id)
        if ("file_ids" in body) == ("files" in body):
            raise bad_request(
                "Exactly one of 'file_ids' or 'files' must be provided.", param="file_ids"
            )
        entries = (
            [{"file_id": i} for i in body["file_ids"]] if "file_ids" in body else body["files"]
        )
        if not 1 <= len(entries) <= 2000:
            raise bad_request(
                f"Invalid 'file_ids': expected between 1 and 2000 files, but got {len(entries)}.",
                param="file_ids",
                code="invalid_value",
            )
        return self.ingestion.create_batch(
            vs, entries, body.get("chunking_strategy"), body.get("attributes")
        )

    async def get_vector_store_file_batch(self, vector_store_id: str, batch_id: str) -> Obj:
        await self._ready_store(vector_store_id)
        return self.store.batch(vector_store_id, batch_id)

    def cancel_vector_store_file_batch(self, vector_store_id: str, batch_id: str) -> Obj:
        vs = self.store.vector_store(vector_store_id)
        batch = self.store.batch(vs.obj["id"], batch_id)
        self.ingestion.cancel_batch(vs, batch)
        return batch

    async def list_files_in_vector_store_batch(
        self, vector_store_id: str, batch_id: str, page: Page, filter: str | None = None
    ) -> Obj:
        vs = await self._ready_store(vector_store_id)
        batch = self.store.batch(vs.obj["id"], batch_id)
        ids = vs.batch_files.get(batch["id"], [])
        return _page(_with_status([vs.files[i] for i in ids if i in vs.files], filter), page)

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


def _page(items: list[Obj], page: Page) -> Obj:
    return paginate(items, limit=page.limit, order=page.order, after=page.after, before=page.before)


def _with_status(items: list[Obj], status: str | None) -> list[Obj]:
    return items if status is None else [f for f in items if f["status"] == status]


def _stream(
    rec: RunRecord, queue: asyncio.Queue[StreamItem], first: list[tuple[str, bytes]] | None = None
) -> EventStream:
    def unsubscribe() -> None:
        if queue in rec.subscribers:
            rec.subscribers.remove(queue)

    return EventStream(queue, first or [], unsubscribe)
