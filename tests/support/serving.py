"""Run a stdlib HTTP server of the tests on a thread, for the length of a `with` block."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from socketserver import BaseServer

# How often `serve_forever` looks for `shutdown()`: its default (0.5 s) is what each
# test that starts a server would otherwise wait at its end.
_SHUTDOWN_POLL = 0.02


@contextmanager
def serving(server: BaseServer) -> Iterator[None]:
    """Serve `server` on a daemon thread; shut it down, close it and join on the way out."""
    thread = threading.Thread(target=server.serve_forever, args=(_SHUTDOWN_POLL,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
