"""Load: 32 async clients x 50 runs each on one emulator (in its own process), over loopback.

Every client owns a thread and runs message -> run -> poll fifty times; in the
end each thread must hold exactly its 100 messages in order (nothing lost or
duplicated) and no request may have failed (clients do not retry, so a 5xx
would raise).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]
CLIENTS = int(os.environ.get("EMULATOR_LOAD_CLIENTS", "16"))
RUNS = int(os.environ.get("EMULATOR_LOAD_RUNS", "25"))

SERVER = """
import sys
from harness.emulator.options import EmulatorOptions
from harness.emulator.http.server import serve
serve(int(sys.argv[1]), options=EmulatorOptions(poll_after_ms=5))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server_process() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port)])
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url + "/_emulator/health", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url + "/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def one_client(base_url: str, index: int, assistant_id: str) -> tuple[str, list[str]]:
    from openai import AsyncOpenAI

    async with AsyncOpenAI(
        base_url=base_url, api_key="sk-test", max_retries=0, timeout=60
    ) as client:
        thread = await client.beta.threads.create()
        for j in range(RUNS):
            await client.beta.threads.messages.create(
                thread_id=thread.id, role="user", content=f"c{index} r{j}"
            )
            run = await client.beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant_id, poll_interval_ms=5
            )
            assert run.status == "completed", run
        texts = [
            m.content[0].text.value
            async for m in client.beta.threads.messages.list(
                thread_id=thread.id, order="asc", limit=100
            )
        ]
        return thread.id, texts


async def load(base_url: str) -> list[tuple[str, list[str]]]:
    from openai import AsyncOpenAI

    async with AsyncOpenAI(base_url=base_url, api_key="sk-test", max_retries=0) as client:
        assistant = await client.beta.assistants.create(model="gpt-4o", name="Load")
    return await asyncio.gather(*(one_client(base_url, i, assistant.id) for i in range(CLIENTS)))


def test_many_clients_many_runs(server_process: str) -> None:
    started = time.monotonic()
    results = asyncio.run(load(server_process))
    elapsed = time.monotonic() - started
    assert len({thread_id for thread_id, _ in results}) == CLIENTS
    for index, (_, texts) in enumerate(results):
        expected = []
        for j in range(RUNS):
            expected += [f"c{index} r{j}", f'You said: "c{index} r{j}"']
        assert texts == expected
    health = httpx.get(server_process.removesuffix("/v1") + "/_emulator/health").json()["counts"]
    assert health["runs"] == CLIENTS * RUNS and health["messages"] == 2 * CLIENTS * RUNS
    assert elapsed < 120, f"load took {elapsed:.1f}s"
