"""Fixtures for the model brain tests: a scripted Chat Completions server on loopback, and
the session's emulator deciding runs with it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from harness.emulator import EmulatorServer
from tests.support.chat_server import ChatServer, chat_server

KEY_ENV = "HARNESS_TEST_MODEL_API_KEY"


def planted_key() -> str:
    return "-".join(["sk", "modelbrain", "0123456789abcdef0123"])


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    with chat_server() as server:
        yield server


@pytest.fixture
def model_doc(chat: ChatServer) -> dict[str, Any]:
    return {
        "base_url": chat.base_url,
        "model": "test-model",
        "api_key_env": KEY_ENV,
        "seed": 7,
        "timeout": 5,
    }


@pytest.fixture
def modelled(
    emulator: EmulatorServer, model_doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> EmulatorServer:
    """The session's emulator with a brain whose every run the scripted model decides."""
    monkeypatch.setenv(KEY_ENV, planted_key())
    emulator.set_brain({"model": model_doc})
    return emulator
