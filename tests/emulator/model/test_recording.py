"""A recording made through the plugin while the model brain decides: the model's own
traffic (from the emulator embedded in the recording process, where vcrpy patches httpx
and httpx2) never reaches the cassette, and the take replays offline."""

from __future__ import annotations

import pytest

from tests.emulator.model.conftest import KEY_ENV, planted_key
from tests.support.chat_server import ChatServer, Stream, call, completion, text_chunks

TESTS = """
import os

import pytest

TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}


BRAIN = {"model": {"base_url": os.environ.get("CHAT_URL", "http://127.0.0.1:9/v1"), "model": "m", "api_key_env": "KEY_ENV"}}


@pytest.mark.assistants_cassette(brain=BRAIN)
def test_model_decides(openai_client):
    assistant = openai_client.beta.assistants.create(model="gpt-4o", tools=[TOOL])
    thread = openai_client.beta.threads.create(messages=[{"role": "user", "content": "look it up"}])
    run = openai_client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "requires_action"
    (call,) = run.required_action.submit_tool_outputs.tool_calls
    assert call.id == "call_rec"
    run = openai_client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": call.id, "output": "found"}]
    )
    assert run.status == "completed"
    openai_client.beta.threads.messages.create(thread.id, role="user", content="and now?")
    with openai_client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as s:
        s.until_done()
    texts = [m.content[0].text.value for m in openai_client.beta.threads.messages.list(thread.id).data]
    assert texts[0] == "Streamed answer." and texts[2] == "It was found."
""".replace("KEY_ENV", KEY_ENV)


def test_recording_holds_no_model_traffic_and_replays(
    pytester: pytest.Pytester, chat: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat.script(
        completion(calls=[call("call_rec", "lookup", "{}")]),
        completion("It was found."),
        Stream(text_chunks(["Streamed ", "answer."])),
    )
    pytester.makepyfile(test_app=TESTS)
    monkeypatch.setenv("CHAT_URL", chat.base_url)
    monkeypatch.setenv(KEY_ENV, planted_key())
    recorded = pytester.runpytest("--record")
    recorded.assert_outcomes(passed=1)
    assert len(chat.received) == 3
    cassette = (pytester.path / "cassettes" / "test_app" / "test_model_decides.yaml").read_text()
    assert "chat/completions" not in cassette and "chat.completion" not in cassette
    assert planted_key() not in cassette and chat.base_url not in cassette
    assert "It was found." in cassette and "call_rec" in cassette
    host = chat.base_url.split("//")[1].split("/")[0]
    assert f"model m at {host}" in cassette  # the header names the brain that made the take

    monkeypatch.delenv("CHAT_URL")
    monkeypatch.delenv(KEY_ENV)
    replayed = pytester.runpytest()
    replayed.assert_outcomes(passed=1)
    assert len(chat.received) == 3
