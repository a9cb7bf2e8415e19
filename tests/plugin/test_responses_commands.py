"""The `harness` commands and the syrupy snapshot work on Responses cassettes as they do on
Assistants ones (recorded through the plugin from the loopback Responses server)."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
from pathlib import Path

import pytest

from harness.cli import main
from tests.support.responses_server import responses_server

APP = """
import pytest
from harness.snapshot import transcript_snapshot


@pytest.mark.assistants_cassette
def test_chat(openai_client, assistants_cassette, snapshot):
    conversation = openai_client.conversations.create()
    first = openai_client.responses.create(model="m", input=SAID, conversation=conversation.id)
    streamed = list(openai_client.responses.create(model="m", input="more", stream=True))
    assert first.output_text == "You said: " + SAID and streamed
    assert assistants_cassette.transcript() == transcript_snapshot(snapshot)
"""
KEY = "sk-test-planted-0123456789abcdef"


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    """`harness ARGS` (its `main`, in this process: a fresh interpreter per command is not
    what these tests are about)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return subprocess.CompletedProcess(["harness", *args], code, out.getvalue(), err.getvalue())


def _record(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, said: str) -> Path:
    pytester.makepyfile(test_app=f"SAID = {said!r}\n" + APP)
    with responses_server() as app:
        monkeypatch.setenv("OPENAI_BASE_URL", app.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        live = ("-p", "no:cacheprovider", "--record", "--record-mode=all", "--record-backend=live")
        pytester.runpytest(*live, "--snapshot-update").assert_outcomes(passed=1)
    return pytester.path / "cassettes" / "test_app" / "test_chat.yaml"


def test_snapshot_and_commands_on_a_responses_cassette(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _record(pytester, monkeypatch, "hello")
    snapshots = [p for p in (pytester.path / "__snapshots__").rglob("*") if p.is_file()]
    assert snapshots and "resp_1" in snapshots[0].read_text()
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    replayed = pytester.runpytest("-p", "no:cacheprovider")
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(["*1 snapshot passed*"])

    assert _harness("verify", str(path)).returncode == 0
    inspected = _harness("inspect", str(path))
    assert inspected.returncode == 0 and "POST /responses" in inspected.stdout
    shown = json.loads(_harness("transcript", str(path)).stdout)
    assert [r["conversation"] for r in shown["responses"] if "conversation" in r] == ["conv_1"]
    copy = pytester.path / "copy.yaml"
    copy.write_text(path.read_text())
    assert _harness("diff", str(path), str(copy)).returncode == 0

    planted = path.read_text().replace('"m"', f'"{KEY}"', 1)
    path.write_text(planted)
    assert _harness("verify", str(path)).returncode == 1
    assert _harness("scrub", str(path)).returncode == 0
    assert KEY not in path.read_text() and _harness("verify", str(path)).returncode == 0


def test_a_changed_request_shows_in_diff(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _record(pytester, monkeypatch, "hello")
    kept = pytester.path / "old.yaml"
    kept.write_text(old.read_text())
    new = _record(pytester, monkeypatch, "bonjour")
    compared = _harness("diff", str(kept), str(new))
    assert compared.returncode == 1
    assert "bonjour" in compared.stdout
