"""`record_mode=all` reads the cassette it replaces once: for who made it and, at the end,
whether the new take changed it."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

import harness.cassette.session as session_module
from harness.cassette.session import Backend, CassetteSession
from harness.config import Settings


def _take(path: Path, base_url: str) -> str:
    session = CassetteSession.open(
        path,
        Settings(record_mode="all", backend="live"),
        record_hint="x",
        backend_factory=lambda: Backend("live", base_url, "sk-test-planted-0123456789abcdef"),
    )
    with session.active():
        openai.OpenAI().beta.assistants.retrieve("asst_1")
    return session.finish(passed=True).kind


def test_all_mode_reads_the_old_cassette_once(
    tmp_path: Path, echo_backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    base_url, _ = echo_backend
    path = tmp_path / "once.yaml"
    assert _take(path, base_url) == "new"
    reads: list[Path] = []
    real = session_module.read_cassette

    def counted(where: Path, *args: object) -> object:
        reads.append(where)
        return real(where, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(session_module, "read_cassette", counted)
    assert _take(path, base_url) == "unchanged"
    assert reads == [path]
