"""Threads and their messages, runs and run steps."""

from __future__ import annotations

import asyncio

import orjson

from harness.emulator.backend import objects, rendering
from harness.emulator.backend.checks import check_content, check_metadata
from harness.emulator.backend.inputs import Page
from harness.emulator.backend.state import BackendState, Result, event_stream, paginated
from harness.emulator.backend.store import Obj, RunRecord, StreamItem, ThreadRecord
from harness.emulator.errors import bad_request, not_found


class ThreadOperations(BackendState):
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
            for file_id in rec.output_files:  # what its code made goes with it
                self.store.drop_file(file_id)
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
        return paginated(items, page, rendering.rest_message)

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
        return paginated([r.obj for r in thread.runs.values()], page)

    async def get_run(self, thread_id: str, run_id: str) -> Obj:
        rec = await self._settled_run(thread_id, run_id)
        return self._show(rec)

    async def modify_run(self, thread_id: str, run_id: str, body: Obj) -> Obj:
        rec = await self._settled_run(thread_id, run_id)
        if "metadata" in body:
            rec.obj["metadata"] = body["metadata"]
        return self._show(rec)

    async def cancel_run(self, thread_id: str, run_id: str) -> Obj:
        # Not only at a rest: a cancel also stops code that is running (see `Progress`).
        await self.store.run(thread_id, run_id).progress.reachable()
        rec = self.store.run(thread_id, run_id)
        self.engine.cancel(rec)
        return self._show(rec)

    async def submit_tool_outputs_to_run(self, thread_id: str, run_id: str, body: Obj) -> Result:
        rec = await self._settled_run(thread_id, run_id)
        if not body.get("stream"):
            self.engine.submit_tool_outputs(rec, body["tool_outputs"])
            return self._show(rec)
        queue: asyncio.Queue[StreamItem] = asyncio.Queue()
        self.engine.submit_tool_outputs(rec, body["tool_outputs"], queue)
        return event_stream(rec, queue)

    async def list_run_steps(
        self, thread_id: str, run_id: str, page: Page, include_content: bool = False
    ) -> Obj:
        rec = await self._settled_run(thread_id, run_id)
        steps = list(rec.steps.values())
        return paginated(steps, page, lambda step: rendering.rest_step(step, include_content))

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
        return event_stream(rec, queue, first)

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
