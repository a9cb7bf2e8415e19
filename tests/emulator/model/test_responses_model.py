"""The model brain answers Responses requests: one Chat Completions answer per response, the
function-call loop left to the app, as in the real API."""

from __future__ import annotations

import json
from typing import Any

from tests.emulator.test_responses import WEATHER
from tests.support.chat_server import ChatServer, Stream, completion, text_chunks


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


def test_a_streamed_response_relays_the_model_as_it_answers(
    client: Any, modelled: Any, chat: ChatServer
) -> None:
    pieces = ["Oslo ", "is ", "cold."]
    chunks = text_chunks(pieces)
    # The upstream holds its last chunk until the client has seen a delta: a response
    # rendered whole before it is sent would reach the client only once it is released.
    held = Stream(chunks, pause_after=len(chunks) - 1)
    chat.script(held)
    seen: list[str] = []
    before_release: list[str] | None = None
    with client.responses.create(model="gpt-4o", input="Weather?", stream=True) as events:
        for event in events:
            seen.append(event.type)
            if event.type == "response.created":
                response_id = event.response.id
            if event.type == "response.output_text.delta" and before_release is None:
                assert not held.finished.is_set()
                before_release = list(seen)
                held.resume.set()
    assert before_release is not None
    assert before_release[0] == "response.created"
    assert before_release[-1] == "response.output_text.delta"
    deltas = [e for e in seen if e == "response.output_text.delta"]
    assert len(deltas) == len(pieces)  # each of the model's pieces as one delta
    assert seen[-1] == "response.completed"
    (sent,) = chat.bodies
    assert sent["stream"] is True
    done = client.responses.retrieve(response_id)
    assert done.output_text == "".join(pieces) and done.output[0].status == "completed"


def test_a_model_failing_mid_stream_leaves_its_message_incomplete(
    client: Any, modelled: Any, chat: ChatServer
) -> None:
    # the role, one piece, then the endpoint's error
    chunks = [*text_chunks(["Half "])[:2], {"error": {"message": "overloaded"}}]
    chat.script(Stream(chunks, done=False))
    with client.responses.create(model="gpt-4o", input="Weather?", stream=True) as events:
        seen = list(events)
    types = [event.type for event in seen]
    assert "response.output_text.delta" in types and types[-1] == "response.failed"
    final = client.responses.retrieve(seen[0].response.id)
    assert final.status == "failed" and "overloaded" in final.error.message
    (message,) = final.output
    assert message.status == "incomplete" and message.content[0].text == "Half "
