"""Server faults recorded and replayed: a 500 the SDK retries.

respx patches `httpx` only, so it injects the fault for openai 2.x clients;
under openai 3.x (httpx2) this test is skipped.
"""

from __future__ import annotations

import time
from pathlib import Path

import openai
import pytest

from harness.cassette.session import Backend, CassetteSession
from harness.config import Settings

pytestmark = pytest.mark.skipif(
    int(openai.__version__.split(".")[0]) >= 3, reason="respx patches httpx; openai 3.x uses httpx2"
)
BASE = "http://127.0.0.1:9/v1"


def test_retried_500_is_recorded_and_replayed_without_backoff(tmp_path: Path, monkeypatch) -> None:
    import httpx
    import respx

    path = tmp_path / "retry.yaml"
    error = {"error": {"message": "boom", "type": "server_error", "param": None, "code": None}}
    thread = {
        "id": "thread_1",
        "object": "thread",
        "created_at": 1,
        "metadata": {},
        "tool_resources": None,
    }
    with respx.mock(base_url=BASE) as mock:
        route = mock.get("/threads/thread_1")
        route.side_effect = [httpx.Response(500, json=error), httpx.Response(200, json=thread)]
        session = CassetteSession.open(
            path,
            Settings(record_mode="all"),
            record_hint="x",
            backend_factory=lambda: Backend("live", BASE, "sk-test-0123456789abcdef"),
        )
        with session.active():
            assert openai.OpenAI().beta.threads.retrieve("thread_1").id == "thread_1"
        session.finish(passed=True)
    assert route.call_count == 2
    assert path.read_text().count('"status": 500') == 1

    replay = CassetteSession.open(path, Settings(), record_hint="x", backend_factory=lambda: None)  # type: ignore[arg-type,return-value]
    sleeps: list[float] = []
    monkeypatch.setattr(time, "sleep", sleeps.append)
    with replay.active():
        assert openai.OpenAI().beta.threads.retrieve("thread_1").id == "thread_1"
    assert sleeps == [], "replay skips the SDK's retry backoff"
