"""The model brain answers Responses requests: one Chat Completions answer per response, the
function-call loop left to the app, as in the real API."""

from __future__ import annotations

import json
from typing import Any

from tests.emulator.test_responses import WEATHER
from tests.support.chat_server import ChatServer, completion


def test_the_model_decides_a_response_and_its_function_loop(
    client: Any, modelled: Any, chat: ChatServer
) -> None:
    call = {
        "id": "call_model_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
    }
    chat.script(completion(calls=[call], finish="tool_calls"), completion("Oslo is cold."))
    first = client.responses.create(
        model="gpt-4o", instructions="Be brief.", input="Weather in Oslo?", tools=[WEATHER]
    )
    (made,) = first.output
    assert made.type == "function_call" and made.call_id == "call_model_1"
    assert json.loads(made.arguments) == {"city": "Oslo"}
    second = client.responses.create(
        model="gpt-4o",
        previous_response_id=first.id,
        tools=[WEATHER],
        input=[{"type": "function_call_output", "call_id": "call_model_1", "output": "-3 C"}],
    )
    assert second.output_text == "Oslo is cold."
    asked = chat.bodies
    assert asked[0]["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Oslo?"},
    ]
    assert asked[0]["tools"][0]["function"]["name"] == "get_weather"
    assert asked[1]["messages"][-2]["tool_calls"][0]["id"] == "call_model_1"
    assert asked[1]["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "call_model_1",
        "content": "-3 C",
    }


def test_an_endpoint_error_fails_the_response(client: Any, modelled: Any, chat: ChatServer) -> None:
    chat.script()  # nothing scripted: the scripted server answers an error
    response = client.responses.create(model="gpt-4o", input="hi")
    assert response.status == "failed" and response.error.message
