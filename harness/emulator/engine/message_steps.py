"""Assistant messages as run steps: a `say` template rendered and streamed in small deltas, or a
model's reply streamed as it arrives; a citation marker arrives whole in a delta of its own,
carrying its annotation."""

from __future__ import annotations

from collections.abc import Callable

from harness.emulator.backend import objects
from harness.emulator.backend.store import Obj
from harness.emulator.engine.brain import Action
from harness.emulator.engine.deltas import MAX_DELTAS, text_deltas
from harness.emulator.engine.step_base import StepBase
from harness.emulator.engine.templates import render


class MessageSteps(StepBase):
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
