"""Tool-call run steps: function calls (the run waits in `requires_action`), code_interpreter
(really run in the sandbox) and file_search (ranked over the attached vector stores). A step
is created with no tool calls, then deltas add them: the first chunk with id and name, later
chunks with only `arguments`. A model's function calls may be written as the model streams
them (`stream_calls`), the `call` action that follows finishing their step."""

from __future__ import annotations

from harness.emulator.backend import objects
from harness.emulator.backend.store import Chunk, FileRecord, Obj
from harness.emulator.engine.brain import Action, FunctionCall
from harness.emulator.engine.step_base import StepBase
from harness.emulator.tools.code_interpreter import Image, execute
from harness.emulator.tools.file_search import rank
from harness.emulator.tools.sandbox import SandboxUnavailableError

CITED_RESULTS = 3


class ToolSteps(StepBase):
    open_calls: Obj | None = None
    """The tool_calls step a `stream_calls` action wrote, for the `call` action to finish."""

    async def _do_stream_calls(self, action: Action) -> None:
        assert action.call_pieces is not None
        step: Obj | None = None
        async for piece in action.call_pieces:
            if step is None:
                step = self._new_step("tool_calls", {"type": "tool_calls", "tool_calls": []})
            calls = step["step_details"]["tool_calls"]
            if piece.name is not None:
                calls.append(self._show_call(step, piece.index, piece.name, piece.id))
            else:
                calls[piece.index]["function"]["arguments"] += piece.arguments
                self._arguments_delta(step, piece.index, piece.arguments)
            await self._yield()
        self.open_calls = step

    async def _do_call(self, action: Action) -> None:
        missing = [c.name for c in action.calls if c.name not in self.functions]
        if missing:
            self._fail(
                f"The emulator's brain called function {missing[0]!r}, "
                "which is not among the run's tools."
            )
        step, self.open_calls = self.open_calls, None
        if step is None:
            step = self._new_step("tool_calls", {"type": "tool_calls", "tool_calls": []})
        calls = step["step_details"]["tool_calls"]
        shown = {stored["id"] for stored in calls}
        for call in action.calls:
            if call.id is None or call.id not in shown:
                calls.append(await self._write_call(step, len(calls), call))
            self._count(step, call.arguments)
        required = [
            {
                "id": stored["id"],
                "type": "function",
                "function": {k: stored["function"][k] for k in ("name", "arguments")},
            }
            for stored in calls
        ]
        self.rec.obj["required_action"] = {
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {"tool_calls": required},
        }
        self.control.set_status(self.rec, "requires_action")
        self.control.close_streams(self.rec)
        await self.control.await_outputs(self.rec)
        for stored in calls:
            self.got.outputs.append(
                (stored["function"]["name"], self.rec.outputs.get(stored["id"], ""))
            )
        await self.control.gate(self.rec)  # queued, as the submission left it
        self.control.set_status(self.rec, "in_progress")
        await self.control.gate(self.rec)

    async def _write_call(self, step: Obj, index: int, call: FunctionCall) -> Obj:
        """A whole call shown in a step: id and name, then its arguments in pieces."""
        stored = self._show_call(step, index, call.name, call.id or self.clock.new_id("call_"))
        stored["function"]["arguments"] = call.arguments
        for start, end in self._pieces(call.arguments, self.options.stream_chunk_chars):
            self._arguments_delta(step, index, call.arguments[start:end])
            await self._yield()
        return stored

    def _show_call(self, step: Obj, index: int, name: str, call_id: str | None) -> Obj:
        """A function call of a step, its arguments still to come: its first delta."""
        stored: Obj = {
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": "", "output": None},
        }
        self._step_delta(step, {"index": index, **stored, "function": dict(stored["function"])})
        return stored

    def _arguments_delta(self, step: Obj, index: int, arguments: str) -> None:
        self._step_delta(
            step, {"index": index, "type": "function", "function": {"arguments": arguments}}
        )

    async def _do_code(self, action: Action) -> None:
        if "code_interpreter" not in self.kinds:
            self._fail("The emulator's brain ran code, but the run has no code_interpreter tool.")
        code = action.text or ""
        step = self._new_step("tool_calls", {"type": "tool_calls", "tool_calls": []})
        stored: Obj = {
            "id": self.clock.new_id("call_"),
            "type": "code_interpreter",
            "code_interpreter": {"input": "", "outputs": []},
        }
        step["step_details"]["tool_calls"].append(stored)
        self._step_delta(
            step,
            {
                "index": 0,
                "id": stored["id"],
                "type": "code_interpreter",
                "code_interpreter": {"input": "", "outputs": []},
            },
        )
        stored["code_interpreter"]["input"] = code
        for start, end in self._pieces(code, self.options.stream_chunk_chars * 4):
            self._step_delta(
                step,
                {
                    "index": 0,
                    "type": "code_interpreter",
                    "code_interpreter": {"input": code[start:end]},
                },
            )
            await self._yield()
        try:
            result = await self.control.stoppable(
                self.rec,
                execute(
                    code,
                    timeout=self.options.code_timeout,
                    files=self.code_files(),
                    isolation=self.options.code_isolation,
                    output_room=self.store.output_room(
                        self.rec.output_bytes,
                        self.options.max_output_bytes_per_run,
                        self.options.max_output_bytes,
                    ),
                ),
            )
        except SandboxUnavailableError as exc:
            self._fail(str(exc))
            return
        outputs: list[Obj] = []
        if result.logs:  # the real API sends no logs output when the code printed nothing
            outputs.append({"type": "logs", "logs": result.logs})
        for image in result.images:
            outputs.append({"type": "image", "image": {"file_id": self._output_file(image)}})
        stored["code_interpreter"]["outputs"] = outputs
        if outputs:
            self._step_delta(
                step,
                {
                    "index": 0,
                    "type": "code_interpreter",
                    "code_interpreter": {
                        "outputs": [{"index": i, **out} for i, out in enumerate(outputs)]
                    },
                },
            )
        self.got.logs.append(result.logs.rstrip("\n"))
        self._count(step, code)
        self.control.end_step(self.rec, step, "completed")

    def _output_file(self, image: Image) -> str:
        """A file the code made, stored as the real tool stored figures; its id."""
        obj = objects.file(self.clock, image.name, len(image.content), "assistants_output", None)
        self.store.files[obj["id"]] = FileRecord(obj, image.content)
        self.store.keep_output(obj["id"], len(image.content))
        self.rec.output_files.append(obj["id"])
        self.rec.output_bytes += len(image.content)
        return str(obj["id"])

    def code_files(self) -> dict[str, bytes]:
        ids: list[str] = []
        for owner in (self.assistant, self.thread.obj):
            ids += ((owner.get("tool_resources") or {}).get("code_interpreter") or {}).get(
                "file_ids"
            ) or []
        for msg in self.thread.messages.values():
            for att in msg.get("attachments") or []:
                if any(t["type"] == "code_interpreter" for t in att.get("tools", [])):
                    ids.append(att["file_id"])
        files = {}
        for file_id in dict.fromkeys(ids):
            rec = self.store.files.get(file_id)
            if rec is not None:
                files[rec.obj["filename"]] = rec.content
        return files

    async def _do_search(self, action: Action) -> None:
        if "file_search" not in self.kinds:
            self._fail("The emulator's brain searched files, but the run has no file_search tool.")
        tool = next(t for t in self.rec.obj["tools"] if t["type"] == "file_search")
        spec = tool.get("file_search") or {}
        ranking = dict(spec.get("ranking_options") or objects.DEFAULT_RANKING)
        limit = spec.get("max_num_results") or 20
        query = action.text if action.text is not None else self.got.user_message
        await self._stores_ready()
        chunks, files = self._search_corpus()
        hits = rank(chunks, query, limit, float(ranking.get("score_threshold") or 0.0))
        self.got.searches += 1
        self.got.search_message = self._conversation_position()
        self.got.query = " ".join(query) if isinstance(query, list) else query
        self.got.hits = [(h, files[h.chunk.file_id][0]) for h in hits[:CITED_RESULTS]]
        step = self._new_step("tool_calls", {"type": "tool_calls", "tool_calls": []})
        call_id = self.clock.new_id("call_")
        results = [
            {
                "file_id": hit.chunk.file_id,
                "file_name": files[hit.chunk.file_id][0],
                "score": hit.score,
                "attributes": dict(files[hit.chunk.file_id][1]),
                "content": [{"type": "text", "text": hit.chunk.text}],  # only with include[]
            }
            for hit in hits
        ]
        stored = {
            "id": call_id,
            "type": "file_search",
            "file_search": {"ranking_options": ranking, "results": results},
        }
        step["step_details"]["tool_calls"].append(stored)
        # The real API's delta named the ranking and an empty list; the results come with
        # the completed step.
        delta = {"ranking_options": dict(ranking), "results": []}
        self._step_delta(
            step, {"index": 0, "id": call_id, "type": "file_search", "file_search": delta}
        )
        await self._yield()
        self._count(step, query)
        self.control.end_step(self.rec, step, "completed")

    def _conversation_position(self) -> int:
        """Where a tool's output lands in the model's conversation, which the real API's
        citation markers number (`【4:0†file】` for a thread's first question): the
        instructions and the tool definitions (0, 1), every message of the thread, then
        for each earlier tool_calls step of this run its call and one output per tool
        call, then the call being made now."""
        position = 2 + len(self.thread.messages)
        for step in self.rec.steps.values():
            if step["type"] == "tool_calls":
                position += 1 + len(step["step_details"]["tool_calls"])
        return position + 1

    async def _stores_ready(self) -> None:
        # Like the real API, a run searches only once its stores' files are processed.
        for vs_id in self.store.search_store_ids(self.thread, self.assistant):
            await self.store.vector_stores[vs_id].ready()

    def _search_corpus(self) -> tuple[list[Chunk], dict[str, tuple[str, Obj]]]:
        """The chunks a run searches, and each file's name and attributes."""
        ids = self.store.search_store_ids(self.thread, self.assistant)
        return self.store.corpus(ids, self.clock.now())
