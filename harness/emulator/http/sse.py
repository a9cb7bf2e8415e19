"""Server-sent events of a run: `event: <name>\\ndata: <json>\\n\\n` frames, then `done`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from harness.emulator.backend.store import StreamItem

DONE = b"event: done\ndata: [DONE]\n\n"


def frame(event: str, data: bytes) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + data + b"\n\n"


@dataclass
class EventStream:
    """What a streaming operation answers: events the engine queues until it closes the queue.

    `first` are sent before anything queued (`thread.created` of create-thread-and-run);
    `on_close` runs when the client goes away or the stream ends.
    """

    queue: asyncio.Queue[StreamItem]
    first: list[tuple[str, bytes]] = field(default_factory=list)
    on_close: Callable[[], None] = lambda: None

    async def frames(self) -> AsyncIterator[bytes]:
        try:
            for event, data in self.first:
                yield frame(event, data)
            while True:
                item = await self.queue.get()
                if item is None:
                    break
                yield frame(*item)
            yield DONE
        finally:
            self.on_close()
