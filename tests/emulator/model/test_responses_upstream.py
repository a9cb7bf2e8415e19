"""`model: {api: responses}`: the model brain's endpoint is itself a Responses API. A scripted
loopback server answers as one would (whole responses, or `response.*` events), and the
emulator's clients, of either API, see what the model said."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.emulator import EmulatorServer
from harness.emulator.engine.model.settings import parse_model
from harness.errors import HarnessError
from tests.emulator.model.conftest import KEY_ENV, planted_key
from tests.emulator.test_responses import WEATHER
from tests.support.chat_server import Answer, ChatServer, Stream

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def upstream_response(
    text: str | None = None,
    calls: tuple[tuple[str, str, str], ...] = (),
    status: str = "completed",
) -> dict[str, Any]:
    output: list[dict[str, Any]] = []
    if text is not None:
        part = {"type": "output_text", "text": text, "annotations": []}
        output.append({"type": "message", "id": "msg_up", "role": "assistant", "content": [part]})
    for call_id, name, arguments in calls:
        output.append(
            {
                "type": "function_call",
                "id": "fc_up",
                "call_id": call_id,
                "name": name,
                "arguments": arguments,
            }
        )
    return {
        "id": "resp_up",
        "object": "response",
        "status": status,
        "error": None,
        "incomplete_details": None,
        "output": output,
        "usage": {"input_tokens": 21, "output_tokens": 8, "total_tokens": 29},
    }


def upstream_events(pieces: list[str]) -> list[dict[str, Any]]:
    """A streamed upstream answer: created, each text delta, completed."""
    whole = upstream_response("".join(pieces))
    events = [{"type": "response.created", "response": {**whole, "output": []}}]
    events += [
        {"type": "response.output_text.delta", "output_index": 0, "delta": p} for p in pieces
    ]
    return [*events, {"type": "response.completed", "response": whole}]


def call_events(call_id: str, name: str, pieces: list[str]) -> list[dict[str, Any]]:
    item = {"type": "function_call", "id": "fc_up", "call_id": call_id, "name": name}
    events = [{"type": "response.output_item.added", "output_index": 0, "item": {**item}}]
    events += [
        {"type": "response.function_call_arguments.delta", "output_index": 0, "delta": p}
        for p in pieces
    ]
    whole = upstream_response(calls=((call_id, name, "".join(pieces)),))
    return [*events, {"type": "response.completed", "response": whole}]


@pytest.fixture
def responses_model(
    emulator: EmulatorServer, chat: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> EmulatorServer:
    monkeypatch.setenv(KEY_ENV, planted_key())
    model = {
        "base_url": chat.base_url,
        "model": "up-model",
        "api_key_env": KEY_ENV,
        "api": "responses",
        "timeout": 5,
    }
    emulator.set_brain({"model": model})
    return emulator


def test_a_responses_upstream_decides_a_response_and_its_function_loop(
    client: Any, responses_model: EmulatorServer, chat: ChatServer
) -> None:
    chat.script(
        Answer(upstream_response(calls=(("call_up_1", "get_weather", '{"city": "Oslo"}'),))),
        Answer(upstream_response("Oslo is cold.")),
    )
    first = client.responses.create(
        model="gpt-4o", instructions="Be brief.", input="Weather in Oslo?", tools=[WEATHER]
    )
    (made,) = first.output
    assert made.type == "function_call" and made.call_id == "call_up_1"
    second = client.responses.create(
        model="gpt-4o",
        previous_response_id=first.id,
        tools=[WEATHER],
        input=[{"type": "function_call_output", "call_id": "call_up_1", "output": "-3 C"}],
    )
    assert second.output_text == "Oslo is cold."
    assert [r.path for r in chat.received] == ["/v1/responses", "/v1/responses"]
    assert chat.received[0].headers["authorization"] == f"Bearer {planted_key()}"
    asked = chat.bodies
    assert asked[0]["instructions"] == "Be brief." and asked[0]["store"] is False
    assert asked[0]["input"] == [{"type": "message", "role": "user", "content": "Weather in Oslo?"}]
    (tool,) = asked[0]["tools"]
    assert tool["type"] == "function" and tool["name"] == "get_weather"
    assert asked[1]["input"][-2:] == [
        {
            "type": "function_call",
            "call_id": "call_up_1",
            "name": "get_weather",
            "arguments": '{"city": "Oslo"}',
        },
        {"type": "function_call_output", "call_id": "call_up_1", "output": "-3 C"},
    ]


def test_a_streamed_response_relays_a_streaming_responses_upstream(
    client: Any, responses_model: EmulatorServer, chat: ChatServer
) -> None:
    events = upstream_events(["Bergen ", "is ", "wet."])
    held = Stream(events, pause_after=len(events) - 1, done=False)
    chat.script(held)
    seen: list[str] = []
    deltas: list[str] = []
    with client.responses.create(model="gpt-4o", input="Weather?", stream=True) as stream:
        for event in stream:
            seen.append(event.type)
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
                if not held.resume.is_set():
                    assert not held.finished.is_set()  # the upstream still holds its end
                    held.resume.set()
    assert deltas == ["Bergen ", "is ", "wet."]
    assert seen[0] == "response.created" and seen[-1] == "response.completed"
    assert chat.bodies[0]["stream"] is True


def test_an_assistants_run_streams_from_a_responses_upstream(
    client: Any, responses_model: EmulatorServer, chat: ChatServer
) -> None:
    chat.script(
        Stream(call_events("call_up_2", "get_weather", ['{"city": ', '"Lima"}']), done=False),
        Stream(upstream_events(["Warm ", "in Lima."]), done=False),
    )
    assistant = client.beta.assistants.create(
        model="gpt-4o", tools=[{"type": "function", "function": {"name": "get_weather"}}]
    )
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Lima?"}])
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as s:
        s.until_done()
        run = s.current_run
    assert run is not None and run.status == "requires_action"
    (call,) = run.required_action.submit_tool_outputs.tool_calls
    assert call.id == "call_up_2" and json.loads(call.function.arguments) == {"city": "Lima"}
    with client.beta.threads.runs.submit_tool_outputs_stream(
        thread_id=thread.id,
        run_id=run.id,
        tool_outputs=[{"tool_call_id": "call_up_2", "output": "28C"}],
    ) as s:
        s.until_done()
        final = s.get_final_run()
    assert final.status == "completed"
    assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (21 * 2, 8 * 2)
    text = client.beta.threads.messages.list(thread.id).data[0].content[0].text.value
    assert text == "Warm in Lima."
    assert chat.bodies[1]["input"][-1] == {
        "type": "function_call_output",
        "call_id": "call_up_2",
        "output": "28C",
    }


def test_a_failed_upstream_response_fails_the_response_without_the_key(
    client: Any, responses_model: EmulatorServer, chat: ChatServer
) -> None:
    failed = upstream_response(status="failed")
    failed["error"] = {"code": "server_error", "message": f"bad key {planted_key()}"}
    chat.script(Answer(failed))
    response = client.responses.create(model="gpt-4o", input="hi")
    assert response.status == "failed"
    assert "failed the response" in response.error.message
    assert planted_key() not in response.error.message


def test_the_api_field_takes_only_the_two_apis() -> None:
    doc = {"base_url": "http://127.0.0.1:9/v1", "model": "m"}
    assert parse_model({**doc, "api": "responses"}).url == "http://127.0.0.1:9/v1/responses"
    assert parse_model(doc).url.endswith("/chat/completions")
    with pytest.raises(HarnessError, match=r"brain model\.api: 'completions' is not one of"):
        parse_model({**doc, "api": "completions"})
