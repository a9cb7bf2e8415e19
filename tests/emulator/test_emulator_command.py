"""`harness emulator` in its own process: loud beyond loopback, a control token printed once,
responsive while a run floods it, and stopped promptly by SIGTERM (sandboxes included)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Emulator:
    def __init__(self, process: subprocess.Popen[str], lines: list[str]) -> None:
        self.process = process
        self.lines = lines
        serving = next(line for line in lines if "serving http://" in line)
        self.token = lines[-1].split(": ")[-1].strip()
        self.control = {"X-Emulator-Token": self.token}
        port = serving.split("serving http://")[1].split("/")[0].rsplit(":", 1)[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> float:
        """SIGTERM; how long it took to exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=15)
        return time.monotonic() - started


@contextlib.contextmanager
def emulator(*args: str) -> Iterator[Emulator]:
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "emulator", "--port", "0", *args],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        lines = [process.stderr.readline()]
        while "X-Emulator-Token" not in lines[-1] and len(lines) < 20:
            lines.append(process.stderr.readline())
        running = Emulator(process, lines)
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(running.url + "/v1", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, lines
                time.sleep(0.05)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def test_beyond_loopback_it_warns_and_guards_control_with_a_token_printed_once() -> None:
    with emulator("--host", "0.0.0.0") as server:
        warnings = [line for line in server.lines if "WARNING" in line]
        assert len(warnings) >= 3 and "0.0.0.0" in warnings[0]
        assert any("code_interpreter" in line for line in warnings)
        token_lines = [line for line in server.lines if "X-Emulator-Token" in line]
        assert len(token_lines) == 1
        token = token_lines[0].split(": ")[-1].strip()
        assert len(token) >= 32 and "".join(server.lines).count(token) == 1
        assert httpx.post(server.url + "/_emulator/reset").status_code == 401
        answer = httpx.post(server.url + "/_emulator/reset", headers={"X-Emulator-Token": token})
        assert answer.status_code == 200
        server.stop()
        assert server.process.stderr is not None
        assert token not in server.process.stderr.read()  # printed once, at start


@pytest.fixture(scope="module")
def plain() -> Iterator[Emulator]:
    """`harness emulator` as most start it, shared by the tests that do not stop it."""
    with emulator() as server:
        yield server


def test_on_loopback_it_is_quiet_and_control_still_needs_its_token(plain: Emulator) -> None:
    server = plain
    assert not any("WARNING" in line for line in server.lines)
    assert "code_interpreter" in server.lines[1]
    assert f"control {server.url}/_emulator/ needs the header" in server.lines[2]
    assert len(server.token) >= 32 and "".join(server.lines).count(server.token) == 1
    assert httpx.post(server.url + "/_emulator/reset").status_code == 401
    answer = httpx.post(server.url + "/_emulator/reset", headers=server.control)
    assert answer.status_code == 200


def test_allow_host_adds_a_name() -> None:
    with emulator("--allow-host", "emulator") as server:
        ok = httpx.get(
            server.url + "/_emulator/health", headers={"Host": "emulator:8080", **server.control}
        )
        refused = httpx.get(
            server.url + "/_emulator/health", headers={"Host": "other:8080", **server.control}
        )
        assert ok.status_code == 200 and refused.status_code == 400


class Health:
    """Polls /_emulator/health in a thread and keeps the slowest answer."""

    def __init__(self, url: str, control: dict[str, str]) -> None:
        self.url = url
        self.control = control
        self.worst = 0.0
        self.answers = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        with httpx.Client(timeout=10) as http:
            while not self._stop.is_set():
                started = time.monotonic()
                http.get(self.url + "/_emulator/health", headers=self.control).raise_for_status()
                self.worst = max(self.worst, time.monotonic() - started)
                self.answers += 1
                time.sleep(0.02)

    def __enter__(self) -> Health:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=15)


def _client(server: Emulator) -> Any:
    from openai import OpenAI

    return OpenAI(base_url=server.url + "/v1", api_key="sk-test", max_retries=0, timeout=60)


def test_responsive_while_a_run_prints_50_mb_and_a_1_mb_tool_output_streams(
    plain: Emulator,
) -> None:
    server = plain
    with Health(server.url, server.control) as health:
        client = _client(server)
        flood = "import sys\nline = 'y' * 999 + '\\n'\nfor _ in range(50_000):\n    sys.stdout.write(line)"
        rules = [
            {"match": {"message": "flood"}, "actions": [{"code": flood}, {"say": "{{logs}}"}]},
            {"actions": [{"call": {"name": "f", "arguments": {}}}, {"say": "Got: {{output}}"}]},
        ]
        httpx.put(
            server.url + "/_emulator/brain", json=rules, headers=server.control
        ).raise_for_status()
        coder = client.beta.assistants.create(model="gpt-4o", tools=[{"type": "code_interpreter"}])
        started = time.monotonic()
        with client.beta.threads.create_and_run_stream(
            assistant_id=coder.id, thread={"messages": [{"role": "user", "content": "flood"}]}
        ) as stream:
            for _ in stream:
                pass
            text = stream.get_final_messages()[0].content[0].text.value
        assert "output truncated" in text and time.monotonic() - started < 20

        caller = client.beta.assistants.create(
            model="gpt-4o", tools=[{"type": "function", "function": {"name": "f"}}]
        )
        run = client.beta.threads.create_and_run_poll(assistant_id=caller.id, poll_interval_ms=20)
        big = "z " * 500_000
        started = time.monotonic()
        call_id = run.required_action.submit_tool_outputs.tool_calls[0].id
        with client.beta.threads.runs.submit_tool_outputs_stream(
            thread_id=run.thread_id,
            run_id=run.id,
            tool_outputs=[{"tool_call_id": call_id, "output": big}],
        ) as stream:
            for _ in stream:
                pass
            text = stream.get_final_messages()[0].content[0].text.value
        assert text == "Got: " + big and time.monotonic() - started < 10
    assert health.answers > 5 and health.worst < 1.0, health.worst


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            parents[int(pid)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if Path(f"/proc/{pid}").exists()}


@pytest.mark.slow
def test_sigterm_stops_it_promptly_with_runs_and_code_in_flight() -> None:
    forever = "import time\nwhile True:\n    print('x' * 1000, flush=True)\n    time.sleep(0.01)"
    # Nothing polls these runs: they start their code at once, not after observe_hold (2 s).
    with emulator("--observe-hold", "0") as server:
        httpx.put(
            server.url + "/_emulator/brain",
            json=[{"actions": [{"code": forever}, {"say": "x"}]}],
            headers=server.control,
        ).raise_for_status()
        client = _client(server)
        assistant = client.beta.assistants.create(
            model="gpt-4o", tools=[{"type": "code_interpreter"}]
        )
        for _ in range(2):
            client.beta.threads.create_and_run(assistant_id=assistant.id)

        ends: list[str] = []

        def stream() -> None:
            try:
                with client.beta.threads.create_and_run_stream(assistant_id=assistant.id) as events:
                    for _ in events:
                        pass
                ends.append("ended")
            except Exception as exc:  # the connection was cut, not the stream ended
                ends.append(repr(exc))

        streaming = threading.Thread(target=stream, daemon=True)
        streaming.start()
        deadline = time.monotonic() + 10
        while len(_descendants(server.process.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        sandboxes = _descendants(server.process.pid)
        assert len(sandboxes) >= 3, "the code never started"
        assert server.stop() < 5
        streaming.join(timeout=10)
        # The emulator ends its open streams before it waits for their connections to close:
        # the client's stream ends, it is not cut when uvicorn's grace period runs out.
        assert ends == ["ended"]
    deadline = time.monotonic() + 2
    while _alive(sandboxes) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _alive(sandboxes) == set()
