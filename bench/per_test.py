"""What a replayed test costs as a whole: 200 marked tests of 3 requests each, side by side.

    .venv/bin/python bench/per_test.py [--tests 200] [--rounds 3]

One project, three ways to run the same 200 tests (create a thread, add a
message, list the messages, through an `openai.OpenAI` client):

  (a) in-memory  the client is built over `httpx.MockTransport` answering canned
                 responses: no recording layer, no cassette (the floor);
  (b) harness    `@pytest.mark.assistants_cassette` and the `openai_client` fixture,
                 replaying the cassettes `pytest --record` wrote;
  (c) pytest-recording  `@pytest.mark.vcr` and a plain `openai.OpenAI()`,
                 replaying the cassettes it wrote (`--record-mode=once`).

Each is a fresh `pytest -q -p no:cacheprovider` process; rounds are interleaved
and the best wall time of each is kept (the machine is shared). Printed: the
wall times and the ratios to (a).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable

BODY = """
    thread = client.beta.threads.create(metadata={{"n": str(n)}})
    client.beta.threads.messages.create(thread.id, role="user", content=f"hello {{n}}")
    listed = client.beta.threads.messages.list(thread.id)
    assert listed.data[0].content[0].text.value == f"hello {{n}}"
"""

IN_MEMORY = (
    """
import json
import httpx2 as http
import openai
import pytest

THREAD = {{"id": "thread_1", "object": "thread", "created_at": 1, "metadata": {{}},
          "tool_resources": {{}}}}


def answer(request):
    n = json.loads(request.content or b"{{}}").get("metadata", {{}}).get("n")
    if request.url.path.endswith("/threads"):
        return http.Response(200, json=THREAD)
    message = {{"id": "msg_1", "object": "thread.message", "created_at": 1,
               "thread_id": "thread_1", "role": "user", "assistant_id": None, "run_id": None,
               "attachments": [], "metadata": {{}},
               "content": [{{"type": "text", "text": {{"value": request.headers["x-text"],
                            "annotations": []}}}}]}}
    if request.method == "POST":
        return http.Response(200, json=message)
    return http.Response(200, json={{"object": "list", "data": [message], "first_id": "msg_1",
                                    "last_id": "msg_1", "has_more": False}})


@pytest.mark.parametrize("n", range({tests}))
def test_conversation(n):
    client = openai.OpenAI(api_key="x", base_url="http://127.0.0.1:9/v1",
                           default_headers={{"x-text": f"hello {{n}}"}},
                           http_client=http.Client(transport=http.MockTransport(answer)))
"""
    + BODY
)

HARNESS = (
    """
import pytest

@pytest.mark.parametrize("n", range({tests}))
@pytest.mark.assistants_cassette
def test_conversation(openai_client, n):
    client = openai_client
"""
    + BODY
)

PYTEST_RECORDING = (
    """
import openai
import pytest

@pytest.mark.parametrize("n", range({tests}))
@pytest.mark.vcr
def test_conversation(n):
    client = openai.OpenAI()
"""
    + BODY
)


def pytest_run(folder: Path, *args: str, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"pytest failed in {folder}:\n{done.stdout[-3000:]}")
    return elapsed


def project(root: Path, name: str, source: str, tests: int) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "test_conversations.py").write_text(textwrap.dedent(source.format(tests=tests)))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if int(__import__("openai").__version__.split(".")[0]) < 3:
        raise SystemExit("run it under openai 3.x (the in-memory floor uses httpx2)")
    from harness.emulator import EmulatorServer

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        floor = project(root, "in_memory", IN_MEMORY, args.tests)
        ours = project(root, "harness", HARNESS, args.tests)
        theirs = project(root, "pytest_recording", PYTEST_RECORDING, args.tests)
        pytest_run(ours, "--record", "-p", "no:recording")
        with EmulatorServer() as server:  # pytest-recording records against a real server
            env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "bench"}
            pytest_run(theirs, "--record-mode=once", "-p", "no:assistants_harness", env=env)
        replay_env = env  # vcrpy matches on host and port; the server is gone by now
        runs = {
            "in-memory": lambda: pytest_run(floor, "-p", "no:recording"),
            "harness": lambda: pytest_run(ours, "-p", "no:recording"),
            "pytest-recording": lambda: pytest_run(
                theirs, "--record-mode=none", "-p", "no:assistants_harness", env=replay_env
            ),
        }
        best = {name: float("inf") for name in runs}
        for _ in range(args.rounds):
            for name, run in runs.items():
                best[name] = min(best[name], run())
    print(f"{args.tests} tests x 3 requests, best of {args.rounds} interleaved rounds (wall s)")
    for name, seconds in best.items():
        ratio = seconds / best["in-memory"]
        print(f"  {name:18} {seconds:7.2f} s   {ratio:5.2f}x in-memory")
    print("  goal: harness within 1.3x of in-memory")


if __name__ == "__main__":
    main()
