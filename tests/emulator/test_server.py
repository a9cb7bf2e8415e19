"""EmulatorServer: fast start, clean stop, control endpoints, and the schema checker itself."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import httpx
import pytest

from harness.emulator import EmulatorServer, create_app
from tests.emulator.helpers import Exchange, problems

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_start_fast_stop_clean() -> None:
    before = set(threading.enumerate())
    started = time.monotonic()
    with EmulatorServer(brain=[{"actions": [{"say": "hi"}]}]) as server:
        assert time.monotonic() - started < 0.5
        assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")
        health = httpx.get(server.url + "/_emulator/health", headers=server.control_headers).json()
        assert health["status"] == "ok" and health["counts"]["rules"] == 1
        port = server.port
    assert set(threading.enumerate()) <= before
    with socket.socket() as probe:  # the port is free again
        probe.bind(("127.0.0.1", port))


def test_reset_and_set_brain(client: Any, emulator: Any) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o")
    emulator.set_brain([{"actions": [{"say": "fixed"}]}])
    run = client.beta.threads.create_and_run_poll(assistant_id=assistant.id, poll_interval_ms=5)
    assert (
        client.beta.threads.messages.list(thread_id=run.thread_id).data[0].content[0].text.value
        == "fixed"
    )
    emulator.reset()
    health = httpx.get(emulator.url + "/_emulator/health", headers=emulator.control_headers)
    assert health.json()["counts"]["assistants"] == 0
    reset = httpx.post(emulator.url + "/_emulator/reset", headers=emulator.control_headers)
    assert reset.json() == {"status": "reset"}


def test_reset_stops_running_runs(client: Any, emulator: Any) -> None:
    emulator.set_brain([{"actions": [{"wait": 60}]}])
    assistant = client.beta.assistants.create(model="gpt-4o")
    client.beta.threads.create_and_run(assistant_id=assistant.id)
    assert len(emulator.backend.engine.tasks) >= 1
    emulator.reset()
    assert not emulator.backend.engine.tasks


def test_create_app_is_an_asgi_app() -> None:
    app = create_app(brain=None)
    assert callable(app) and app.state.backend.counts()["threads"] == 0


def test_schema_checker_catches_bad_payloads() -> None:
    bad_run = Exchange(
        "GET",
        "/v1/threads/thread_x/runs/run_x",
        200,
        "application/json",
        bytearray(b'{"id": "run_x"}'),
    )
    assert any("required property" in p for p in problems(bad_run))
    bad_event = Exchange(
        "POST",
        "/v1/threads/thread_x/runs",
        200,
        "text/event-stream",
        bytearray(b'event: thread.run.created\ndata: {"id": "x"}\n\nevent: done\ndata: [DONE]\n\n'),
    )
    assert problems(bad_event)
    unended = Exchange("POST", "/v1/threads/runs", 200, "text/event-stream", bytearray(b""))
    assert problems(unended) == [
        "POST /v1/threads/runs -> 200: stream does not end with done/[DONE]"
    ]
