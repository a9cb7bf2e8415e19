"""Server-sent events of a run as the emulator serves them (frames from `harness.api.sse`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from harness.api.sse import DONE, frame
from harness.emulator.backend.store import StreamItem


@dataclass
class EventStream:
    """What a streaming operation answers: events the engine queues until it closes the queue.

    `first` are sent before anything queued (`thread.created` of create-thread-and-run);
    `on_close` runs when the client goes away or the stream ends; `end` closes the stream
    (the Assistants API's `done` event; the Responses API sends none).
    """

    queue: asyncio.Queue[StreamItem]
    first: list[tuple[str, bytes]] = field(default_factory=list)
    on_close: Callable[[], None] = lambda: None
    end: bytes = DONE

    async def frames(self) -> AsyncIterator[bytes]:
        """The events as they come; those queued already go out together, in one write."""
        try:
            # What is carried out at once (a rules brain's whole answer) is written by the
            # time the engine's task first waits: it goes out with `first`, in one write.
            await asyncio.sleep(0)
            out = [frame(event, data) for event, data in self.first]
            while True:
                item = await self.queue.get() if not out else _ready(self.queue)
                while item is not None and item is not _EMPTY:
                    out.append(frame(*item))
                    item = _ready(self.queue)
                if out:
                    yield b"".join(out)
                    out = []
                if item is None:
                    break
            if self.end:
                yield self.end
        finally:
            self.on_close()


_EMPTY = ("", b"")


def _ready(queue: asyncio.Queue[StreamItem]) -> StreamItem:
    """The next queued item, or `_EMPTY` when none is queued yet."""
    try:
        return queue.get_nowait()
    except asyncio.QueueEmpty:
        return _EMPTY
