"""The `harness` command, run as a user runs it."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.transcript import load

ROOT = Path(__file__).resolve().parents[1]
HARNESS = [sys.executable, "-m", "harness.cli"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HARNESS, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_inspect_reads_like_the_conversation() -> None:
    result = _run("inspect", "cassettes/scenarios/function_quiz.yaml")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (
        lines[0]
        == "run run_1 on thread_1: queued -> in_progress -> requires_action -> queued -> in_progress -> completed"
    )
    assert any(line.startswith("  requires_action: display_quiz(") for line in lines)
    assert any(line.startswith("  submitted call_1: ") for line in lines)
    roles = [
        line.split("]")[1].split(":")[0].strip()
        for line in lines
        if line.startswith("  [thread_1]")
    ]
    assert roles == ["user", "assistant"]
    assert "\x1b[" not in result.stdout, "plain text when piped"


def test_inspect_colours_on_request_without_rewrapping() -> None:
    plain = _run("inspect", "cassettes/scenarios/function_quiz.yaml")
    coloured = _run("inspect", "--color", "always", "cassettes/scenarios/function_quiz.yaml")
    assert coloured.returncode == 0, coloured.stderr
    assert "\x1b[" in coloured.stdout
    unstyled = re.sub(r"\x1b\[[0-9;]*m", "", coloured.stdout)
    assert unstyled.splitlines() == plain.stdout.splitlines()
    assert max(len(line) for line in unstyled.splitlines()) > 80  # one line per line, unwrapped


def test_transcript_prints_the_library_view_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the view names the file as given
    path = "cassettes/scenarios/function_quiz.yaml"
    result = _run("transcript", path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == load(path).to_json() + "\n"


def test_transcript_prints_aliased_json() -> None:
    result = _run("transcript", "cassettes/scenarios/follow_up.yaml")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    listing = data["listings"][-1]
    assert listing["query"] == {"order": "asc", "after": "msg_2"}  # the follow-up
    assert [item["role"] for item in listing["items"]] == ["assistant"]
    assert "thread_" not in json.dumps(data["runs"]).replace("thread_1", "")


@contextlib.contextmanager
def _emulator(*args: str) -> Iterator[str]:
    """`harness emulator --port 0 ARGS` in a subprocess; yields its root URL once healthy."""
    process = subprocess.Popen(
        [*HARNESS, "emulator", "--port", "0", *args], cwd=ROOT, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert line.startswith("harness emulator: serving http://127.0.0.1:"), line
        base = line.split("serving ")[1].split(" ")[0].removesuffix("/v1")
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(base + "/_emulator/health", timeout=2)
            except urllib.error.HTTPError as exc:
                assert exc.code == 401  # serving: control needs the token it printed
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_emulator_command_serves_on_loopback() -> None:
    with _emulator() as base:
        assert base.startswith("http://127.0.0.1:")


def _run_statuses(base: str) -> tuple[list[str], str | None]:
    """A run polled by GETs: the statuses seen and the poll-after header of the first GET."""
    headers = {
        "authorization": "Bearer sk-test",
        "openai-beta": "assistants=v2",
        "content-type": "application/json",
    }

    def call(method: str, path: str, body: Any = None) -> tuple[Any, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(base + "/v1" + path, data, headers, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read()), response.headers

    assistant, _ = call("POST", "/assistants", {"model": "gpt-4o"})
    thread, _ = call("POST", "/threads", {"messages": [{"role": "user", "content": "hi"}]})
    run, _ = call("POST", f"/threads/{thread['id']}/runs", {"assistant_id": assistant["id"]})
    seen, hint = [run["status"]], None
    while seen[-1] != "completed":
        run, got = call("GET", f"/threads/{thread['id']}/runs/{run['id']}")
        hint = hint or got.get("openai-poll-after-ms")
        seen.append(run["status"])
    return seen, hint


def test_emulator_observe_hold_flag() -> None:
    with _emulator() as base:
        assert _run_statuses(base) == (["queued", "in_progress", "completed"], "25")
    with _emulator("--observe-hold", "0") as base:
        assert _run_statuses(base) == (["queued", "completed"], "25")
    for bad in ("-1", "soon", "nan"):
        result = _run("emulator", "--observe-hold", bad)
        assert result.returncode == 2 and "--observe-hold" in result.stderr
        assert "Traceback" not in result.stderr


def test_committed_cassettes_hold_no_secrets() -> None:
    result = _run("verify", "cassettes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no secrets found" in result.stdout + result.stderr


def test_the_emulator_command_without_its_extra_names_it(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text('import sys\nsys.modules["uvicorn"] = None\n')
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "emulator", "--port", "0"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "harness emulator: harness emulator needs its extra (uvicorn is missing): "
        "pip install 'pytest-assistants-harness[emulator]'"
    )


def test_a_reader_that_goes_away_early_is_no_error() -> None:
    """`harness diff OLD NEW | head`: a closed pipe stops the command quietly."""
    shell = subprocess.run(
        f"'{sys.executable}' -m harness.cli diff {ROOT}/cassettes/scenarios/math_tutor.yaml "
        f"{ROOT}/cassettes/scenarios/follow_up.yaml | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shell.stdout.count("\n") == 1
    assert shell.stderr == ""


def test_inspect_shows_messages_in_the_order_written_whatever_order_the_app_listed(
    tmp_path: Path,
) -> None:
    from harness.cassette.format import dumps
    from harness.cassette.model import Cassette, Interaction, Request, Response
    from harness.inspect import inspect_lines

    def message(mid: str, role: str, text: str, created: int, run: str | None) -> dict[str, Any]:
        content = [{"type": "text", "text": {"value": text, "annotations": []}}]
        return {"id": mid, "object": "thread.message", "created_at": created, "role": role,
                "thread_id": "thread_a", "run_id": run, "assistant_id": None,
                "content": content, "attachments": [], "metadata": {}}  # fmt: skip

    newest_first = [  # the reply and the question in one second, as a fast run makes them
        message("msg_r", "assistant", "Sunny.", 1750000001, "run_a"),
        message("msg_q", "user", "Weather?", 1750000001, None),
    ]
    listing = {"object": "list", "data": newest_first, "first_id": "msg_r", "last_id": "msg_q",
               "has_more": False}  # fmt: skip
    path = tmp_path / "desc.yaml"
    path.write_text(
        dumps(
            Cassette(
                meta={"base_path": "/v1"},
                interactions=[
                    Interaction(
                        Request("GET", "/threads/thread_a/messages", query=(("order", "desc"),)),
                        Response(200, body=listing),
                    )
                ],
            )
        )
    )
    texts = [text for _, text in inspect_lines(path) if text.startswith("  [")]
    assert texts == ["  [thread_1] user: Weather?", "  [thread_1] assistant: Sunny."]
