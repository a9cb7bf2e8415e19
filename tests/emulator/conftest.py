"""Fixtures for the emulator tests: one real server per session, SDK clients, and a
recorder that validates every response the emulator sends against the spec's schemas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from harness.emulator import EmulatorServer
from tests.emulator.helpers import FAST, Recorder, problems


@pytest.fixture(scope="session")
def recorder_box() -> dict[str, Recorder]:
    return {}


@pytest.fixture(scope="session")
def emulator_server(recorder_box: dict[str, Recorder]) -> Iterator[EmulatorServer]:
    def wrap(app: Any) -> Recorder:
        recorder_box["r"] = Recorder(app)
        return recorder_box["r"]

    with EmulatorServer(options=FAST, wrap=wrap) as server:
        yield server


@pytest.fixture
def emulator(
    emulator_server: EmulatorServer, recorder_box: dict[str, Recorder]
) -> Iterator[EmulatorServer]:
    """The session's emulator; every response sent during the test must match its schema."""
    recorder = recorder_box["r"]
    start = len(recorder.exchanges)
    yield emulator_server
    emulator_server.set_brain(None)
    found = [p for ex in recorder.exchanges[start:] for p in problems(ex)]
    checked = len(recorder.exchanges) - start
    assert not found, f"{len(found)} schema problems in {checked} responses:\n" + "\n".join(
        found[:20]
    )


@pytest.fixture(scope="session")
def _session_client(emulator_server: EmulatorServer) -> Iterator[Any]:
    from openai import OpenAI

    # One client for the session: making one loads the CA certificates (~25 ms), and
    # some 200 tests took a fresh one.
    with OpenAI(base_url=emulator_server.base_url, api_key="sk-test", max_retries=0) as c:
        yield c


@pytest.fixture
def client(emulator: EmulatorServer, _session_client: Any) -> Any:
    """An SDK client of the session's emulator (whose responses the test's checks see)."""
    return _session_client


@pytest.fixture
def aclient(emulator: EmulatorServer) -> Any:
    from openai import AsyncOpenAI

    return AsyncOpenAI(base_url=emulator.base_url, api_key="sk-test", max_retries=0)
