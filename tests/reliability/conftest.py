"""Shared pieces of the reliability suite: the echo server and a clean environment.

Recordings run through pytester (in this process unless a test needs its own) against the
loopback echo server of `tests.support`, with every proxy variable removed so
no byte leaves 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.echo_server import echo_server

PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@pytest.fixture
def echo(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[dict[str, object]]]]:
    """The echo server's base URL (`.../v1`) and the requests it has seen."""
    loopback_only(monkeypatch)
    with echo_server() as (base_url, seen):
        monkeypatch.setenv("OPENAI_BASE_URL", base_url)
        yield base_url, seen


def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("CI", raising=False)  # CI=true never records
    for name in ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "AZURE_OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def files_under(folder: Path) -> dict[Path, bytes]:
    """Every file below `folder`, hidden ones included, with its bytes."""
    return {path: path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}
