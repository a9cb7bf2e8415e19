"""A response's stream events, as the Responses API sends them: `response.*` events numbered
by `sequence_number`, each output item announced (`output_item.added`), filled
(text, argument and code deltas; a hosted tool's progress) and closed
(`output_item.done`) at its `output_index`.

Every event a response sends is kept on its record, so a background response's
stream can be resumed (`GET /responses/{id}?stream=true&starting_after=N`), and
goes at once to the streams watching it (`ResponseRecord.subscribers`), so a
client reads each event as it is written, not once the response has ended.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from harness.emulator.backend.response_objects import shown, text_part
from harness.emulator.backend.store import Obj, ResponseRecord


def pieces(text: str, size: int) -> Iterator[str]:
    """`text` in pieces of about `size` characters, split after whitespace where possible."""
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            space = text.rfind(" ", start + 1, end)
            end = space + 1 if space > start else end
        yield text[start:end]
        start = end


class EventLog:
    """Writes one response's events into its record."""

    def __init__(self, rec: ResponseRecord, chunk_chars: int) -> None:
        self.rec = rec
        self.chunk_chars = max(1, chunk_chars)
        self.quiet = not (rec.body.get("stream") or rec.body.get("background"))
        """Nobody can ever read the events of a response neither streamed nor in the
        background: they are not written."""

    def emit(self, kind: str, payload: Obj) -> None:
        if self.quiet:
            return
        event = {"type": kind, "sequence_number": len(self.rec.events), **payload}
        written = (kind, orjson.dumps(event))
        self.rec.events.append(written)
        for queue in self.rec.subscribers:
            queue.put_nowait(written)

    def response(self, kind: str) -> None:
        """`response.created`, `.queued`, `.in_progress`, `.completed`, ...: the response now."""
        if not self.quiet:
            self.emit(kind, {"response": self.snapshot()})

    def snapshot(self, include: frozenset[str] | None = None) -> Obj:
        """The response as it is now, its output as `include` (default: its own) shows it."""
        # Not a deep copy: what it shares with the record is encoded before the record
        # changes again (an answer, an event's bytes).
        obj: Obj = dict(self.rec.obj)
        output = obj["output"]
        seen = self.rec.include if include is None else include
        obj["output"] = [shown(item, seen) for item in output]
        return obj

    # items ----------------------------------------------------------------

    def added(self, index: int, item: Obj) -> None:
        if self.quiet:
            return
        self.emit(
            "response.output_item.added",
            {"output_index": index, "item": shown(item, self.rec.include)},
        )

    def done(self, index: int, item: Obj) -> None:
        if self.quiet:
            return
        self.emit(
            "response.output_item.done",
            {"output_index": index, "item": shown(item, self.rec.include)},
        )

    def text(self, index: int, item: Obj, text: str, annotations: list[Obj]) -> None:
        """A message's one `output_text` part, in deltas, then its annotations."""
        if self.quiet:
            return
        self.part_added(index, item)
        for piece in pieces(text, self.chunk_chars):
            self.delta(index, item, piece)
        self.text_done(index, item, text, annotations)

    def part_added(self, index: int, item: Obj) -> None:
        at = {"item_id": item["id"], "output_index": index, "content_index": 0}
        self.emit("response.content_part.added", {**at, "part": text_part("")})

    def delta(self, index: int, item: Obj, piece: str) -> None:
        at = {"item_id": item["id"], "output_index": index, "content_index": 0}
        self.emit("response.output_text.delta", {**at, "delta": piece, "logprobs": []})

    def text_done(self, index: int, item: Obj, text: str, annotations: list[Obj]) -> None:
        """The part's annotations, then its end."""
        at = {"item_id": item["id"], "output_index": index, "content_index": 0}
        for i, annotation in enumerate(annotations):
            self.emit(
                "response.output_text.annotation.added",
                {**at, "annotation_index": i, "annotation": annotation},
            )
        self.emit("response.output_text.done", {**at, "text": text, "logprobs": []})
        self.emit("response.content_part.done", {**at, "part": text_part(text, annotations)})

    def arguments(self, index: int, item: Obj) -> None:
        if self.quiet:
            return
        at = {"item_id": item["id"], "output_index": index}
        for piece in pieces(item["arguments"], self.chunk_chars):
            self.emit("response.function_call_arguments.delta", {**at, "delta": piece})
        self.emit(
            "response.function_call_arguments.done",
            {**at, "name": item["name"], "arguments": item["arguments"]},
        )

    def progress(self, kind: str, index: int, item: Obj) -> None:
        """A hosted tool call's progress: `response.file_search_call.searching`, ..."""
        self.emit(kind, {"item_id": item["id"], "output_index": index})

    def code(self, index: int, item: Obj) -> None:
        if self.quiet:
            return
        at = {"item_id": item["id"], "output_index": index}
        for piece in pieces(item["code"], self.chunk_chars * 4):
            self.emit("response.code_interpreter_call_code.delta", {**at, "delta": piece})
        self.emit("response.code_interpreter_call_code.done", {**at, "code": item["code"]})
