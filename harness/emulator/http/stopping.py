"""A uvicorn server that stops as soon as it is asked to.

uvicorn looks at `should_exit` every 0.1 s, and its shutdown sleeps 0.1 s after asking
connections to close, then polls them (and background tasks) in 0.1 s steps: stopping an
idle emulator took about 0.16 s, paid by every test and pytest session that starts one.
`PromptServer` wakes its main loop when `request_exit()` (or a signal) asks it to stop, and
waits for connections and tasks in short steps; what it waits for, and for how long at most
(`timeout_graceful_shutdown`), is uvicorn's. `on_exit` runs first, once nothing new is
accepted: the emulator ends its open streams and background runs there, which uvicorn would
otherwise wait on for the whole grace period (a SIGTERM with a stream open took 1 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable
from types import FrameType

import uvicorn

TICK = 0.1  # uvicorn's: its default headers (the date) are refreshed every ten ticks
STEP = 0.005  # how often shutdown looks whether connections and tasks are done


class PromptServer(uvicorn.Server):
    """`uvicorn.Server`, woken when asked to exit instead of at its next tick."""

    def __init__(
        self, config: uvicorn.Config, on_exit: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        super().__init__(config)
        self._on_exit = on_exit
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    def request_exit(self) -> None:
        """Stop serving (from any thread): the main loop wakes now, not at its next tick."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: it is over
                loop.call_soon_threadsafe(wake.set)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self.request_exit()

    async def main_loop(self) -> None:
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), TICK)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        if self._on_exit is not None:
            await self._on_exit()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        grace = self.config.timeout_graceful_shutdown
        deadline = None if grace is None else loop.time() + grace
        state = self.server_state
        while (state.connections or state.tasks) and not self.force_exit:
            if deadline is not None and loop.time() >= deadline:
                for task in state.tasks:
                    task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
                break
            await asyncio.sleep(STEP)
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()
