"""Refuse, and remember, every name lookup or connection beyond loopback the process tries:
proof that a run stayed on this machine whichever HTTP library a client brought."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any
from unittest import mock

_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


@contextlib.contextmanager
def loopback_only() -> Iterator[list[str]]:
    """While active, lookups and connections beyond loopback fail; the list names them."""
    attempts: list[str] = []
    lookup, connect = socket.getaddrinfo, socket.socket.connect

    def guarded_lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in _LOOPBACK_NAMES and not name.startswith("127."):
            attempts.append(f"lookup {name}")
            raise socket.gaierror(f"{name}: only loopback in these tests")
        return lookup(host, *args, **kwargs)

    def guarded_connect(sock: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and not str(address[0]).startswith(("127.", "::1")):
            attempts.append(f"connect {address[0]}")
            raise OSError(f"{address[0]}: only loopback in these tests")
        return connect(sock, address)

    with (
        mock.patch.object(socket, "getaddrinfo", guarded_lookup),
        mock.patch.object(socket.socket, "connect", guarded_connect),
    ):
        yield attempts
