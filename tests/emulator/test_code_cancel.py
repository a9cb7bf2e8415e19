"""A cancel sent while a run's code runs stops the code: the cancel is answered at once
(`cancelling`), the run ends `cancelled`, and the sandbox's processes are gone."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.emulator import EmulatorServer
from tests.emulator.helpers import FAST


def _children(pid: int) -> dict[int, set[int]]:
    tree: dict[int, set[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(parent, set()).add(int(entry.name))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(pid), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    """Running, not merely a zombie left for its new parent to reap."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _cell_processes(before: set[int]) -> set[int]:
    """The sandbox processes started since `before` (the cell runs `run_cell`)."""
    found = set()
    for pid in _descendants(os.getpid()) - before:
        with contextlib.suppress(OSError):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"launch.py" in cmdline or b"run_cell" in cmdline:
                found.add(pid)
    return found


@pytest.fixture
def slow_code_emulator() -> Iterator[EmulatorServer]:
    # A code timeout far beyond the test: only the cancel can end the code. The test watches
    # /proc, not the run, so the run starts its code without waiting for a poll to see it.
    options = dataclasses.replace(FAST, code_timeout=120.0, observe_hold=0.0)
    with EmulatorServer(options=options) as server:
        yield server


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize("code", ["while True:\n    pass", "import time\ntime.sleep(600)"])
def test_a_cancel_stops_running_code(slow_code_emulator: EmulatorServer, code: str) -> None:
    from openai import OpenAI

    server = slow_code_emulator
    server.set_brain([{"actions": [{"code": code}, {"say": "never"}]}])
    before = _descendants(os.getpid())
    # The timeout is a safety net: a held cancel fails the test instead of hanging it.
    with OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0, timeout=30) as client:
        assistant = client.beta.assistants.create(
            model="gpt-4o", tools=[{"type": "code_interpreter"}]
        )
        thread = client.beta.threads.create(messages=[{"role": "user", "content": "spin"}])
        run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
        assert run.status == "queued"
        deadline = time.monotonic() + 30
        while not (running := _cell_processes(before)) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert running, "the code never started"
        cancelled = client.beta.threads.runs.cancel(run.id, thread_id=thread.id)
        assert cancelled.status == "cancelling"
        final = client.beta.threads.runs.poll(run.id, thread_id=thread.id, poll_interval_ms=5)
        steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data
    assert final.status == "cancelled" and final.cancelled_at is not None
    assert [s.status for s in steps] == ["cancelled"]
    assert [pid for pid in running if _alive(pid)] == []
