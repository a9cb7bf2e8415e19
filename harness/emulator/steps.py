"""Carrying out a plan's actions as run steps: messages, function calls, code, file search.

Each action becomes a run step (and, for `say`, an assistant message) whose
stream events follow the real order and delta rules: a `step.created` with
no tool calls yet, then deltas that add them (first chunk with id and name,
later chunks with only `arguments`), and message text in small deltas; a
citation marker arrives whole in a delta of its own, carrying its annotation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from harness.emulator import objects
from harness.emulator.brain import Action
from harness.emulator.code_interpreter import Image, execute
from harness.emulator.file_search import rank
from harness.emulator.runs import RunControl, RunStopped, tokens
from harness.emulator.sandbox import SandboxUnavailableError
from harness.emulator.store import Chunk, FileRecord, Obj, RunRecord, Store, ThreadRecord
from harness.emulator.templates import Gathered, render

CITED_RESULTS = 3
MAX_DELTAS = 1000


def text_deltas(text: str, annotations: list[Obj], size: int) -> list[tuple[int | None, int, int]]:
    """(annotation index or None, start, end) of each delta of a message's text: plain text
    in `pieces`, and each annotation's marker whole and alone. (Deltas stay under
    MAX_DELTAS for `size` at least len(text) / MAX_DELTAS, plus one per annotation.)"""
    out: list[tuple[int | None, int, int]] = []
    pos = 0
    for index, note in enumerate(annotations):
        start, end = note["start_index"], note["end_index"]
        out += [(None, pos + a, pos + b) for a, b in pieces(text[pos:start], size)]
        out.append((index, start, end))
        pos = end
    out += [(None, pos + a, pos + b) for a, b in pieces(text[pos:], size)]
    return out


def pieces(text: str, size: int) -> list[tuple[int, int]]:
    """(start, end) spans of about `size` characters, cut after whitespace when possible."""
    spans: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind(" ", start + 1, end + 1)
            end = cut + 1 if cut > start else end
        spans.append((start, end))
        start = end
    return spans


class StepRunner:
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
        handler = getattr(self, f"_do_{action.kind}")
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
        self._fail(action.text or "Sorry, something went wrong.", action.code)

    async def _do_incomplete(self, action: Action) -> None:
        self.control.finish(
            self.thread, self.rec, "incomplete", incomplete_details={"reason": action.text}
        )
        raise RunStopped

    async def _do_say(self, action: Action) -> None:
        text, annotations = render(action.text or "", self.got)
        rec, control = self.rec, self.control
        msg, step, part = self._open_message()
        await self._stream_text(msg["id"], text, annotations)
        # Nobody reads the message between rest points, so its text is set once.
        part["text"]["value"] = text
        part["text"]["annotations"] = annotations
        msg["status"] = "completed"
        msg["completed_at"] = self.clock.now()
        control.emit(rec, "thread.message.completed", msg)
        self._count(step, text)
        control.end_step(rec, step, "completed")

    def _open_message(self) -> tuple[Obj, Obj, Obj]:
        """A new assistant message in progress, its step, and its (empty) text part."""
        rec = self.rec
        msg = objects.message(
            self.clock,
            self.thread.obj["id"],
            "assistant",
            [],
            assistant_id=rec.obj["assistant_id"],
            run_id=rec.obj["id"],
            status="in_progress",
        )
        step = self._new_step(
            "message_creation",
            {"type": "message_creation", "message_creation": {"message_id": msg["id"]}},
        )
        self.thread.messages[msg["id"]] = msg
        self.control.emit(rec, "thread.message.created", msg)
        self.control.emit(rec, "thread.message.in_progress", msg)
        part: Obj = {"type": "text", "text": {"value": "", "annotations": []}}
        msg["content"].append(part)
        return msg, step, part

    def _text_delta(self, message_id: str, delta_text: Obj) -> None:
        self.control.emit(
            self.rec,
            "thread.message.delta",
            {
                "id": message_id,
                "object": "thread.message.delta",
                "delta": {"content": [{"index": 0, "type": "text", "text": delta_text}]},
            },
        )

    async def _stream_text(self, message_id: str, text: str, annotations: list[Obj]) -> None:
        """Message deltas of about `stream_chunk_chars`, except that each citation marker is
        a delta of its own whose value is the marker, with its annotation (as the real API
        sent them: `file_citation` with an empty `quote`)."""
        if not self.rec.subscribers:
            return
        size = max(self.options.stream_chunk_chars, -(-len(text) // MAX_DELTAS))
        for index, start, end in text_deltas(text, annotations, size):
            delta_text: Obj = {"value": text[start:end]}
            if index is not None:
                note = {"index": index, **annotations[index]}
                if note["type"] == "file_citation":
                    note["file_citation"] = {**note["file_citation"], "quote": ""}
                delta_text["annotations"] = [note]
            elif start == 0:
                delta_text["annotations"] = []
            self._text_delta(message_id, delta_text)
            await self._yield()

    async def _do_reply(self, action: Action) -> None:
        """A message written verbatim as its pieces arrive (a model's answer); a citation
        marker is never split across deltas, and its annotation rides with it."""
        assert action.reply is not None
        reply, rec, control = action.reply, self.rec, self.control
        msg, step, part = self._open_message()
        text, sent, cited = "", 0, 0
        async for piece in reply.pieces:
            text += piece
            cut = len(text)
            opening = text.rfind("【", sent)
            if opening != -1 and "】" not in text[opening:] and cut - opening < 80:
                cut = opening  # hold back a marker until it is whole
            cited = self._reply_delta(msg["id"], text, sent, cut, cited, reply.annotate)
            sent = cut
        cited = self._reply_delta(msg["id"], text, sent, len(text), cited, reply.annotate)
        part["text"]["value"] = text
        part["text"]["annotations"] = reply.annotate(text)
        if reply.ended == "error":
            return  # the run's failure closes the message and its step
        if reply.ended == "length":
            msg["status"] = "incomplete"
            msg["incomplete_at"] = self.clock.now()
            msg["incomplete_details"] = {"reason": "max_tokens"}
            control.emit(rec, "thread.message.incomplete", msg)
        else:
            msg["status"] = "completed"
            msg["completed_at"] = self.clock.now()
            control.emit(rec, "thread.message.completed", msg)
        self._count(step, text)
        control.end_step(rec, step, "completed")

    def _reply_delta(
        self,
        message_id: str,
        text: str,
        start: int,
        end: int,
        cited: int,
        annotate: Callable[[str], list[Obj]],
    ) -> int:
        """Send text[start:end] with the annotations it completes; the count sent so far."""
        if not self.rec.subscribers or end <= start:
            return cited
        fresh = [a for a in annotate(text[:end])[cited:] if a["end_index"] <= end]
        delta_text: Obj = {"value": text[start:end]}
        if fresh or start == 0:
            delta_text["annotations"] = [{"index": cited + i, **a} for i, a in enumerate(fresh)]
        self._text_delta(message_id, delta_text)
        return cited + len(fresh)

    async def _do_call(self, action: Action) -> None:
        missing = [c.name for c in action.calls if c.name not in self.functions]
        if missing:
            self._fail(
                f"The emulator's brain called function {missing[0]!r}, "
                "which is not among the run's tools."
            )
        step = self._new_step("tool_calls", {"type": "tool_calls", "tool_calls": []})
        calls = step["step_details"]["tool_calls"]
        required = []
        for index, call in enumerate(action.calls):
            call_id = call.id or self.clock.new_id("call_")
            stored: Obj = {
                "id": call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": "", "output": None},
            }
            calls.append(stored)
            self._step_delta(step, {"index": index, **stored, "function": dict(stored["function"])})
            stored["function"]["arguments"] = call.arguments
            for start, end in self._pieces(call.arguments, self.options.stream_chunk_chars):
                self._step_delta(
                    step,
                    {
                        "index": index,
                        "type": "function",
                        "function": {"arguments": call.arguments[start:end]},
                    },
                )
                await self._yield()
            self._count(step, call.arguments)
            required.append(
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
            )
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
            result = await execute(
                code,
                timeout=self.options.code_timeout,
                files=self.code_files(),
                isolation=self.options.code_isolation,
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
        store = self.store
        chunks: list[Chunk] = []
        files: dict[str, tuple[str, Obj]] = {}
        for vs_id in self.store.search_store_ids(self.thread, self.assistant):
            vs = store.vector_stores[vs_id]
            vs.obj["last_active_at"] = self.clock.now()
            for file_id, file_chunks in vs.chunks.items():
                if vs.files.get(file_id, {}).get("status") == "completed":
                    chunks += file_chunks
                    frec = store.files.get(file_id)
                    files.setdefault(
                        file_id,
                        (
                            frec.obj["filename"] if frec else "",
                            vs.files[file_id].get("attributes") or {},
                        ),
                    )
        return chunks, files
