"""The README's recipe: a seed scenario (function_quiz) recorded with the model brain, through
`harness emulator --model ...` as the live backend, and replayed offline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.emulator import EmulatorServer
from tests.emulator.helpers import FAST, QUIZ_ARGUMENTS
from tests.emulator.model.conftest import KEY_ENV, planted_key
from tests.support.chat_server import ChatServer, call, completion

ROOT = Path(__file__).resolve().parents[3]


def test_function_quiz_recorded_with_a_model(
    pytester: pytest.Pytester, chat: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenarios = pytester.path / "scenarios"
    (scenarios / "tools").mkdir(parents=True)
    # The Assistants side only: the model is scripted for one run (parity has its own tests).
    quiz = (ROOT / "scenarios" / "function_quiz.yaml").read_text().replace("api: both\n", "", 1)
    (scenarios / "function_quiz.yaml").write_text(quiz)
    shutil.copy(ROOT / "scenarios" / "tools" / "display_quiz.json", scenarios / "tools")
    pytester.makeini("[pytest]\nassistants_scenario_dirs = scenarios\n")
    chat.script(
        completion(calls=[call("call_quiz", "display_quiz", json.dumps(QUIZ_ARGUMENTS))]),
        completion("Good try: the derivative is 6x + 2, and the answer is 1."),
    )
    brain = {"model": {"base_url": chat.base_url, "model": "m", "api_key_env": KEY_ENV}}
    monkeypatch.setenv(KEY_ENV, planted_key())
    with EmulatorServer(brain, options=FAST) as emulator:
        monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-emulator")
        recorded = pytester.runpytest(
            "scenarios/function_quiz.yaml",
            "--record",
            "--record-backend=live",
            "--snapshot-update",
        )
    recorded.assert_outcomes(passed=1)
    first, second = chat.bodies
    assert first["messages"][0]["content"].startswith("You are a personal math tutor.")
    assert [t["function"]["name"] for t in first["tools"]] == ["display_quiz", "code_interpreter"]
    assert second["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "call_quiz",
        "content": json.dumps(["I don't know.", "a"]),
    }
    cassette = (pytester.path / "cassettes" / "scenarios" / "function_quiz.yaml").read_text()
    assert "Good try: the derivative is 6x + 2" in cassette and "chat/completions" not in cassette

    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv(KEY_ENV)
    pytester.runpytest("scenarios/function_quiz.yaml").assert_outcomes(passed=1)
    assert len(chat.received) == 2
