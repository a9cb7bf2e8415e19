"""How the secret attacks run: a test file recorded through the plugin, then replayed.

The planted values go to the inner test through `secrets.json` (so a source
line in a traceback shows no secret), the recording runs in process with
`--record` against the embedded emulator or the leaky loopback server, and
everything written and printed is handed back for the search.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.verify import verify_main
from tests.reliability.conftest import loopback_only
from tests.reliability.leaky_server import leaky_server

BACKENDS = ("emulator", "live")


@dataclass
class Leaky:
    """The leaky server: its origin (no base path) and the requests it saw."""

    origin: str
    seen: list[dict[str, Any]]

    def received(self, value: str) -> bool:
        return value in json.dumps(self.seen)


@pytest.fixture
def leaky(monkeypatch: pytest.MonkeyPatch) -> Iterator[Leaky]:
    loopback_only(monkeypatch)
    with leaky_server() as (origin, seen):
        monkeypatch.setenv("OPENAI_BASE_URL", origin + "/v1")
        monkeypatch.setenv("OPENAI_API_KEY", "harness-test-key-not-secret")
        yield Leaky(origin, seen)


@dataclass
class Runs:
    """The output of every pytest run of an attack, and the cassette folder."""

    outputs: list[str]
    cassettes: Path

    @property
    def output(self) -> str:
        return "\n".join(self.outputs)


def run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, str]:
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly", *args)
    return result, result.stdout.str() + result.stderr.str()


def plant(pytester: pytest.Pytester, source: str, values: dict[str, Any]) -> None:
    """Write the inner test file and the values it reads."""
    (pytester.path / "secrets.json").write_text(json.dumps(values))
    pytester.makepyfile(test_planted=source)


def record_then_replay(
    pytester: pytest.Pytester, backend: str, passed: int, *replay_args: str
) -> Runs:
    """Record the planted test file (all must pass), then replay it (all must pass)."""
    recorded, first = run(pytester, "--record", f"--record-backend={backend}")
    assert recorded.ret == 0, first
    recorded.assert_outcomes(passed=passed)
    replayed, second = run(pytester, *replay_args)
    assert replayed.ret == 0, second
    replayed.assert_outcomes(passed=passed)
    cassettes = pytester.path / "cassettes"
    # What the recorder wrote passes `harness verify` (the same rules, and more).
    report = io.StringIO()
    assert verify_main([str(cassettes)], [], out=report) == 0, report.getvalue()
    return Runs([first, second, report.getvalue()], cassettes)


def cassette_text(runs: Runs) -> str:
    return "\n".join(p.read_text() for p in sorted(runs.cassettes.rglob("*.yaml")))
