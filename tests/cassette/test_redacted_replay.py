"""A request that carried a secret is recorded redacted and still replays."""

from __future__ import annotations

from pathlib import Path

import openai

from harness.cassette.session import Backend, CassetteSession
from harness.config import Settings

SECRET = "sk-" + "proj-ThisIsAPlantedKey0123456789"  # split: no key-shaped literal in the repo


def _create(client: openai.OpenAI) -> str:
    assistant = client.beta.assistants.create(model="gpt-4o", instructions=f"use {SECRET}")
    return str(assistant.id)


def test_secret_in_a_request_body_is_redacted_yet_replays(tmp_path: Path, echo_backend) -> None:
    base_url, _ = echo_backend
    path = tmp_path / "secret.yaml"
    recording = CassetteSession.open(
        path,
        Settings(record_mode="all"),
        record_hint="x",
        backend_factory=lambda: Backend("live", base_url, "sk-test-planted-0123456789abcdef"),
    )
    with recording.active():
        assert _create(openai.OpenAI()) == "obj_echo"
    recording.finish(passed=True)
    assert SECRET not in path.read_text() and "use <redacted>" in path.read_text()

    replay = CassetteSession.open(path, Settings(), record_hint="x", backend_factory=lambda: None)  # type: ignore[arg-type,return-value]
    with replay.active():
        assert _create(openai.OpenAI()) == "obj_echo"
    assert replay.interception.misses == []
