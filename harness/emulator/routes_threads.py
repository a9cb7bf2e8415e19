"""Routes for assistants, threads, messages, runs and steps: parse, call the engine, render."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from harness.emulator import objects
from harness.emulator.errors import bad_request, not_found
from harness.emulator.sse import StreamItem, event_stream
from harness.emulator.store import Obj, RunRecord, ThreadRecord, check_metadata, paginate
from harness.emulator.web import (
    RouteGroup,
    endpoint,
    include_content,
    json_response,
    page_args,
)

if TYPE_CHECKING:
    pass

MAX_CONTENT_CHARS = 256_000


class ThreadRoutes(RouteGroup):
    def poll_headers(self) -> dict[str, str]:
        return {"openai-poll-after-ms": str(self.emu.options.poll_after_ms)}

    # assistants ---------------------------------------------------------

    @endpoint("POST /assistants")
    async def create_assistant(self, request: Request) -> Response:
        body = await self.body(request)
        body["tool_resources"] = self.emu.resolve_tool_resources(body.get("tool_resources"))
        obj = objects.assistant(body)
        self.store.assistants[obj["id"]] = obj
        return json_response(obj)

    @endpoint("GET /assistants")
    async def list_assistants(self, request: Request) -> Response:
        return json_response(paginate(list(self.store.assistants.values()), **page_args(request)))

    @endpoint("GET /assistants/{assistant_id}")
    async def get_assistant(self, request: Request) -> Response:
        return json_response(self.store.assistant(request.path_params["assistant_id"]))

    @endpoint("POST /assistants/{assistant_id}")
    async def modify_assistant(self, request: Request) -> Response:
        obj = self.store.assistant(request.path_params["assistant_id"])
        body = await self.body(request)
        if "tool_resources" in body:
            body["tool_resources"] = self.emu.resolve_tool_resources(body["tool_resources"])
        objects.update_assistant(obj, body)
        return json_response(obj)

    @endpoint("DELETE /assistants/{assistant_id}")
    async def delete_assistant(self, request: Request) -> Response:
        obj = self.store.assistant(request.path_params["assistant_id"])
        del self.store.assistants[obj["id"]]
        return json_response(objects.deleted(obj["id"], "assistant.deleted"))

    # threads ------------------------------------------------------------

    def _new_thread(self, body: Obj) -> ThreadRecord:
        messages = [
            self._message_fields(m, f"messages[{i}]")
            for i, m in enumerate(body.get("messages") or [])
        ]
        resources = self.emu.resolve_tool_resources(body.get("tool_resources"))
        thread = ThreadRecord(
            objects.thread(body.get("metadata"), objects.normalize_tool_resources(resources))
        )
        for fields in messages:
            self._add_message(thread, fields)
        self.store.threads[thread.obj["id"]] = thread
        return thread

    def _add_message(self, thread: ThreadRecord, fields: Obj) -> Obj:
        msg = objects.message(thread.obj["id"], **fields)
        thread.messages[msg["id"]] = msg
        self.emu.attach_for_search(thread, msg)
        return msg

    def _message_fields(self, body: Obj, param: str = "content") -> Obj:
        content = body["content"]
        size = (
            len(content)
            if isinstance(content, str)
            else sum(len(p.get("text", "")) for p in content)
        )
        if size > MAX_CONTENT_CHARS:
            raise bad_request(
                f"Invalid '{param}': string too long. Expected a string with maximum length "
                f"{MAX_CONTENT_CHARS}, but got a string with length {size} instead.",
                param=param,
                code="string_above_max_length",
            )
        for attachment in body.get("attachments") or []:
            self.store.file(attachment["file_id"])
        return {
            "role": body["role"],
            "content": objects.content_parts(content),
            "attachments": body.get("attachments"),
            "metadata": check_metadata(body.get("metadata")),
        }

    @endpoint("POST /threads")
    async def create_thread(self, request: Request) -> Response:
        thread = self._new_thread(await self.body(request))
        return json_response(thread.obj)

    @endpoint("GET /threads/{thread_id}")
    async def get_thread(self, request: Request) -> Response:
        return json_response(self.store.thread(request.path_params["thread_id"]).obj)

    @endpoint("POST /threads/{thread_id}")
    async def modify_thread(self, request: Request) -> Response:
        thread = self.store.thread(request.path_params["thread_id"])
        body = await self.body(request)
        if "metadata" in body:
            thread.obj["metadata"] = body["metadata"]
        if "tool_resources" in body:
            resources = self.emu.resolve_tool_resources(body["tool_resources"])
            thread.obj["tool_resources"] = objects.normalize_tool_resources(resources)
        return json_response(thread.obj)

    @endpoint("DELETE /threads/{thread_id}")
    async def delete_thread(self, request: Request) -> Response:
        thread = self.store.thread(request.path_params["thread_id"])
        del self.store.threads[thread.obj["id"]]
        for run in thread.runs.values():
            if run.task is not None:
                run.task.cancel()
            self.emu.engine.close_streams(run)
        return json_response(objects.deleted(thread.obj["id"], "thread.deleted"))

    # messages -----------------------------------------------------------

    @endpoint("POST /threads/{thread_id}/messages")
    async def create_message(self, request: Request) -> Response:
        thread = self.store.thread(request.path_params["thread_id"])
        body = await self.body(request)
        fields = self._message_fields(body)
        active = thread.active_run()
        if active is not None:
            raise bad_request(
                f"Can't add messages to {thread.obj['id']} "
                f"while a run {active.obj['id']} is active."
            )
        return json_response(self._add_message(thread, fields))

    @endpoint("GET /threads/{thread_id}/messages")
    async def list_messages(self, request: Request) -> Response:
        thread = self.store.thread(request.path_params["thread_id"])
        items = list(thread.messages.values())
        run_id = request.query_params.get("run_id")
        if run_id:
            items = [m for m in items if m["run_id"] == run_id]
        return json_response(paginate(items, **page_args(request)))

    @endpoint("GET /threads/{thread_id}/messages/{message_id}")
    async def get_message(self, request: Request) -> Response:
        return json_response(
            self.store.message(request.path_params["thread_id"], request.path_params["message_id"])
        )

    @endpoint("POST /threads/{thread_id}/messages/{message_id}")
    async def modify_message(self, request: Request) -> Response:
        msg = self.store.message(
            request.path_params["thread_id"], request.path_params["message_id"]
        )
        body = await self.body(request)
        if "metadata" in body:
            msg["metadata"] = body["metadata"]
        return json_response(msg)

    @endpoint("DELETE /threads/{thread_id}/messages/{message_id}")
    async def delete_message(self, request: Request) -> Response:
        thread = self.store.thread(request.path_params["thread_id"])
        msg = self.store.message(thread.obj["id"], request.path_params["message_id"])
        del thread.messages[msg["id"]]
        return json_response(objects.deleted(msg["id"], "thread.message.deleted"))

    # runs ---------------------------------------------------------------

    def _start(
        self,
        request: Request,
        thread: ThreadRecord,
        body: Obj,
        first: list[tuple[str, bytes]] | None = None,
    ) -> Response:
        assistant = self.store.assistant(body["assistant_id"])
        include = include_content(request)
        for i, extra in enumerate(body.get("additional_messages") or []):
            self._message_fields(extra, f"additional_messages[{i}]")  # checks only
        if not body.get("stream"):
            rec = self.emu.engine.create_run(thread, assistant, body, include_content=include)
            return self._show(rec)
        queue: asyncio.Queue[StreamItem] = asyncio.Queue()
        rec = self.emu.engine.create_run(
            thread, assistant, body, include_content=include, subscriber=queue
        )
        return self._stream(rec, queue, first)

    def _stream(
        self,
        rec: RunRecord,
        queue: asyncio.Queue[StreamItem],
        first: list[tuple[str, bytes]] | None,
    ) -> Response:
        def unsubscribe() -> None:
            if queue in rec.subscribers:
                rec.subscribers.remove(queue)

        return StreamingResponse(
            event_stream(queue, first, unsubscribe),
            media_type="text/event-stream; charset=utf-8",
            headers={"cache-control": "no-cache"},
        )

    @endpoint("POST /threads/{thread_id}/runs")
    async def create_run(self, request: Request) -> Response:
        thread = self.store.thread(request.path_params["thread_id"])
        body = await self.body(request)
        return self._start(request, thread, body)

    @endpoint("POST /threads/runs")
    async def create_thread_and_run(self, request: Request) -> Response:
        body = await self.body(request)
        self.store.assistant(body["assistant_id"])
        thread_body = dict(body.get("thread") or {})
        if body.get("tool_resources") and not thread_body.get("tool_resources"):
            thread_body["tool_resources"] = body["tool_resources"]
        thread = self._new_thread(thread_body)
        run_body = {k: v for k, v in body.items() if k not in ("thread", "tool_resources")}
        first = [("thread.created", orjson.dumps(thread.obj))]
        return self._start(request, thread, run_body, first)

    @endpoint("GET /threads/{thread_id}/runs")
    async def list_runs(self, request: Request) -> Response:
        thread = self.store.thread(request.path_params["thread_id"])
        for rec in thread.runs.values():
            self.emu.engine.shown(rec)
        return json_response(paginate([r.obj for r in thread.runs.values()], **page_args(request)))

    def _run(self, request: Request) -> RunRecord:
        rec: RunRecord = self.store.run(
            request.path_params["thread_id"], request.path_params["run_id"]
        )
        return rec

    @endpoint("GET /threads/{thread_id}/runs/{run_id}")
    async def get_run(self, request: Request) -> Response:
        return self._show(self._run(request), headers=self.poll_headers())

    def _show(self, rec: RunRecord, headers: dict[str, str] | None = None) -> Response:
        self.emu.engine.shown(rec)
        return json_response(rec.obj, headers=headers)

    @endpoint("POST /threads/{thread_id}/runs/{run_id}")
    async def modify_run(self, request: Request) -> Response:
        rec = self._run(request)
        body = await self.body(request)
        if "metadata" in body:
            rec.obj["metadata"] = body["metadata"]
        return self._show(rec)

    @endpoint("POST /threads/{thread_id}/runs/{run_id}/cancel")
    async def cancel_run(self, request: Request) -> Response:
        rec = self._run(request)
        self.emu.engine.cancel(rec)
        return self._show(rec)

    @endpoint("POST /threads/{thread_id}/runs/{run_id}/submit_tool_outputs")
    async def submit_tool_outputs(self, request: Request) -> Response:
        rec = self._run(request)
        body = await self.body(request)
        if not body.get("stream"):
            self.emu.engine.submit_tool_outputs(rec, body["tool_outputs"])
            return self._show(rec)
        queue: asyncio.Queue[StreamItem] = asyncio.Queue()
        self.emu.engine.submit_tool_outputs(rec, body["tool_outputs"], queue)
        return self._stream(rec, queue, None)

    # steps --------------------------------------------------------------

    @endpoint("GET /threads/{thread_id}/runs/{run_id}/steps")
    async def list_steps(self, request: Request) -> Response:
        rec = self._run(request)
        include = include_content(request)
        steps = [objects.public_step(s, include) for s in rec.steps.values()]
        return json_response(paginate(steps, **page_args(request)))

    @endpoint("GET /threads/{thread_id}/runs/{run_id}/steps/{step_id}")
    async def get_step(self, request: Request) -> Response:
        rec = self._run(request)
        step = rec.steps.get(request.path_params["step_id"])
        if step is None:
            raise not_found("step", request.path_params["step_id"])
        return json_response(objects.public_step(step, include_content(request)))

    def routes(self) -> list[Route]:
        table: list[tuple[str, Any, str]] = [
            ("/assistants", self.create_assistant, "POST"),
            ("/assistants", self.list_assistants, "GET"),
            ("/assistants/{assistant_id}", self.get_assistant, "GET"),
            ("/assistants/{assistant_id}", self.modify_assistant, "POST"),
            ("/assistants/{assistant_id}", self.delete_assistant, "DELETE"),
            ("/threads", self.create_thread, "POST"),
            ("/threads/runs", self.create_thread_and_run, "POST"),
            ("/threads/{thread_id}", self.get_thread, "GET"),
            ("/threads/{thread_id}", self.modify_thread, "POST"),
            ("/threads/{thread_id}", self.delete_thread, "DELETE"),
            ("/threads/{thread_id}/messages", self.create_message, "POST"),
            ("/threads/{thread_id}/messages", self.list_messages, "GET"),
            ("/threads/{thread_id}/messages/{message_id}", self.get_message, "GET"),
            ("/threads/{thread_id}/messages/{message_id}", self.modify_message, "POST"),
            ("/threads/{thread_id}/messages/{message_id}", self.delete_message, "DELETE"),
            ("/threads/{thread_id}/runs", self.create_run, "POST"),
            ("/threads/{thread_id}/runs", self.list_runs, "GET"),
            ("/threads/{thread_id}/runs/{run_id}", self.get_run, "GET"),
            ("/threads/{thread_id}/runs/{run_id}", self.modify_run, "POST"),
            ("/threads/{thread_id}/runs/{run_id}/cancel", self.cancel_run, "POST"),
            (
                "/threads/{thread_id}/runs/{run_id}/submit_tool_outputs",
                self.submit_tool_outputs,
                "POST",
            ),
            ("/threads/{thread_id}/runs/{run_id}/steps", self.list_steps, "GET"),
            ("/threads/{thread_id}/runs/{run_id}/steps/{step_id}", self.get_step, "GET"),
        ]
        return [Route("/v1" + path, handler, methods=[method]) for path, handler, method in table]
