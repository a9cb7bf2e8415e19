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


def _team_calls(client: openai.OpenAI, tokens: tuple[str, str]) -> str:
    # Polls carry a custom credential header and no body; the key changes once, and the new
    # one comes back in a later body, which a recording redacts because it learned it.
    for token in tokens:
        for _ in range(3):
            client.beta.assistants.retrieve("asst_1", extra_headers={"x-team-token": token})
    assistant = client.beta.assistants.create(model="gpt-4o", instructions=f"team {tokens[1]}")
    return str(assistant.id)


def test_a_credential_header_that_changes_between_polls_is_learned_anew(
    tmp_path: Path, echo_backend
) -> None:
    base_url, _ = echo_backend
    tokens = ("team-token-first-0123456789", "team-token-second-0123456789")
    path = tmp_path / "team.yaml"
    recording = CassetteSession.open(
        path,
        Settings(record_mode="all"),
        record_hint="x",
        backend_factory=lambda: Backend("live", base_url, "sk-test-planted-0123456789abcdef"),
    )
    with recording.active():
        assert _team_calls(openai.OpenAI(), tokens) == "obj_echo"
    recording.finish(passed=True)
    assert tokens[1] not in path.read_text() and "team <redacted>" in path.read_text()

    replay = CassetteSession.open(path, Settings(), record_hint="x", backend_factory=lambda: None)  # type: ignore[arg-type,return-value]
    with replay.active():
        assert _team_calls(openai.OpenAI(), tokens) == "obj_echo"
    assert replay.interception.misses == []
