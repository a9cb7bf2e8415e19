"""Server-sent event framing for run streams: `event: <name>\\ndata: <json>\\n\\n`, then done."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

DONE = b"event: done\ndata: [DONE]\n\n"
StreamItem = tuple[str, bytes] | None


def frame(event: str, data: bytes) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + data + b"\n\n"


async def event_stream(
    queue: asyncio.Queue[StreamItem],
    first: list[tuple[str, bytes]] | None = None,
    on_close: Callable[[], None] | None = None,
) -> AsyncIterator[bytes]:
    """Frames from `queue` until the engine closes it (None), then the `done` event."""
    try:
        for event, data in first or []:
            yield frame(event, data)
        while True:
            item = await queue.get()
            if item is None:
                break
            yield frame(*item)
        yield DONE
    finally:
        if on_close is not None:
            on_close()
