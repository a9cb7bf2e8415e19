"""The Responses API through the SDK: synchronous, streamed, in the background; the brain's
function-call loop across responses; request options; errors. Every response and stream
event is checked against the spec's schemas by the `emulator` fixture."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
}
TIME = {**WEATHER, "name": "get_time", "description": "The time in a city."}
WEATHER_RULES = [
    {
        "name": "weather",
        "match": {"message": "(?i)weather", "tools": ["get_weather"]},
        "actions": [
            {"call": {"name": "get_weather", "arguments": {"city": "Paris"}}},
            {"say": "In Paris it is {{outputs.get_weather}}."},
        ],
    },
    {
        "name": "both",
        "match": {"message": "(?i)both", "tools": ["get_weather", "get_time"]},
        "actions": [
            {
                "call": [
                    {"name": "get_weather", "arguments": {"city": "Oslo"}},
                    {"name": "get_time", "arguments": {"city": "Oslo"}},
                ]
            },
            {"say": "{{outputs.get_weather}} at {{outputs.get_time}}"},
        ],
    },
]


@pytest.fixture
def weather(emulator: Any) -> Any:
    emulator.set_brain(WEATHER_RULES)
    return emulator


def test_a_response_carries_every_field_and_the_real_prefixes(client: Any) -> None:
    response = client.responses.create(
        model="gpt-4o", input="Hello there", instructions="Be brief.", metadata={"k": "v"}
    )
    assert response.id.startswith("resp_") and response.status == "completed"
    assert response.output_text == 'You said: "Hello there"'
    assert response.instructions == "Be brief." and response.metadata == {"k": "v"}
    (message,) = response.output
    assert message.id.startswith("msg_") and message.role == "assistant"
    assert message.content[0].annotations == []
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    raw = client.responses.with_raw_response.retrieve(response.id).http_response.json()
    for key in ("error", "incomplete_details", "previous_response_id", "max_output_tokens"):
        assert key in raw and raw[key] is None
    assert raw["text"] == {"format": {"type": "text"}, "verbosity": "medium"}
    assert raw["truncation"] == "disabled" and raw["parallel_tool_calls"] is True


def test_input_as_items_with_string_or_parts_and_explicit_nulls(client: Any) -> None:
    response = client.responses.create(
        model="gpt-4o",
        input=[
            {"role": "developer", "content": "Answer in French."},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
        ],
        temperature=None,
        max_output_tokens=None,
        tools=None,
    )
    assert response.output_text == 'You said: "Hi"' and response.temperature == 1.0
    items = client.responses.input_items.list(response.id, order="asc").data
    assert [i.role for i in items] == ["developer", "user"]
    assert items[0].content[0].type == "input_text" and items[0].id.startswith("msg_")


def test_input_items_paginate(client: Any) -> None:
    response = client.responses.create(
        model="gpt-4o", input=[{"role": "user", "content": f"m{i}"} for i in range(5)]
    )
    first = client.responses.input_items.list(response.id, limit=2, order="asc")
    assert [i.content[0].text for i in first.data] == ["m0", "m1"] and first.has_more
    rest = client.responses.input_items.list(
        response.id, limit=10, order="asc", after=first.last_id
    )
    assert [i.content[0].text for i in rest.data] == ["m2", "m3", "m4"] and not rest.has_more
    newest = client.responses.input_items.list(response.id, limit=1)
    assert newest.data[0].content[0].text == "m4"


def test_instructions_do_not_carry_over_previous_response_id(client: Any) -> None:
    first = client.responses.create(model="gpt-4o", input="One", instructions="Be brief.")
    second = client.responses.create(model="gpt-4o", input="Two", previous_response_id=first.id)
    assert second.instructions is None and second.previous_response_id == first.id
    assert second.output_text == 'You said: "Two"'


def test_store_false_is_not_retrievable(client: Any) -> None:
    response = client.responses.create(model="gpt-4o", input="Secret", store=False)
    assert response.status == "completed" and response.store is False
    with pytest.raises(openai.NotFoundError, match=f"Response with id '{response.id}'"):
        client.responses.retrieve(response.id)


def test_streamed_with_stream_true_and_the_stream_helper(client: Any) -> None:
    events = list(client.responses.create(model="gpt-4o", input="Stream this", stream=True))
    kinds = [e.type for e in events]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = [e for e in events if e.type == "response.output_text.delta"]
    assert "".join(d.delta for d in deltas) == 'You said: "Stream this"'
    assert {(d.output_index, d.content_index) for d in deltas} == {(0, 0)}
    assert deltas[0].item_id == events[-1].response.output[0].id
    with client.responses.stream(model="gpt-4o", input="Stream this") as stream:
        texts = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(texts) == final.output_text == 'You said: "Stream this"'


def test_function_call_loop_with_previous_response_id(client: Any, weather: Any) -> None:
    first = client.responses.create(model="gpt-4o", input="Weather?", tools=[WEATHER])
    (call,) = first.output
    assert call.type == "function_call" and call.id.startswith("fc_")
    assert call.name == "get_weather" and json.loads(call.arguments) == {"city": "Paris"}
    assert first.status == "completed" and first.output_text == ""
    second = client.responses.create(
        model="gpt-4o",
        previous_response_id=first.id,
        tools=[WEATHER],
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}],
    )
    assert second.output_text == "In Paris it is sunny."


def test_function_call_loop_with_the_whole_input_each_time(client: Any, weather: Any) -> None:
    history: list[Any] = [{"role": "user", "content": "What's the weather?"}]
    first = client.responses.create(model="gpt-4o", input=history, tools=[WEATHER], store=False)
    call = first.output[0]
    history += [call.model_dump(exclude_none=True)]
    history += [{"type": "function_call_output", "call_id": call.call_id, "output": "rainy"}]
    second = client.responses.create(model="gpt-4o", input=history, tools=[WEATHER], store=False)
    assert second.output_text == "In Paris it is rainy."


def test_streamed_function_call_events(client: Any, weather: Any) -> None:
    events = list(
        client.responses.create(model="gpt-4o", input="weather", tools=[WEATHER], stream=True)
    )
    kinds = [e.type for e in events]
    assert "response.function_call_arguments.delta" in kinds
    done = next(e for e in events if e.type == "response.function_call_arguments.done")
    assert json.loads(done.arguments) == {"city": "Paris"}
    added = next(e for e in events if e.type == "response.output_item.added")
    assert added.item.type == "function_call" and added.item.arguments == ""


def test_parallel_tool_calls_false_calls_one_at_a_time(client: Any, weather: Any) -> None:
    tools = [WEATHER, TIME]
    both = client.responses.create(model="gpt-4o", input="both", tools=tools)
    assert [c.name for c in both.output] == ["get_weather", "get_time"]
    one = client.responses.create(
        model="gpt-4o", input="both", tools=tools, parallel_tool_calls=False
    )
    assert [c.name for c in one.output] == ["get_weather"]
    outputs = [{"type": "function_call_output", "call_id": one.output[0].call_id, "output": "warm"}]
    two = client.responses.create(
        model="gpt-4o", previous_response_id=one.id, tools=tools, input=outputs
    )
    assert [c.name for c in two.output] == ["get_time"]
    outputs = [{"type": "function_call_output", "call_id": two.output[0].call_id, "output": "9:00"}]
    three = client.responses.create(
        model="gpt-4o", previous_response_id=two.id, tools=tools, input=outputs
    )
    assert three.output_text == "warm at 9:00"


def test_tool_choice_required_named_and_none(client: Any) -> None:
    required = client.responses.create(
        model="gpt-4o", input="hi", tools=[WEATHER, TIME], tool_choice="required"
    )
    assert [c.name for c in required.output] == ["get_weather"]
    assert json.loads(required.output[0].arguments) == {"city": "example"}
    named = client.responses.create(
        model="gpt-4o",
        input="hi",
        tools=[WEATHER, TIME],
        tool_choice={"type": "function", "name": "get_time"},
    )
    assert [c.name for c in named.output] == ["get_time"]
    back = client.responses.create(
        model="gpt-4o",
        previous_response_id=named.id,
        input=[{"type": "function_call_output", "call_id": named.output[0].call_id, "output": "9"}],
    )
    assert back.output_text == "The function returned: 9"


def test_tool_choice_none_never_calls(client: Any, weather: Any) -> None:
    response = client.responses.create(
        model="gpt-4o", input="weather", tools=[WEATHER], tool_choice="none"
    )
    assert [i.type for i in response.output] == ["message"]


def test_structured_output_is_valid_for_a_strict_schema(client: Any, weather: Any) -> None:
    from jsonschema import Draft202012Validator

    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "days": {"type": "array", "items": {"$ref": "#/$defs/day"}, "minItems": 2},
            "unit": {"enum": ["C", "F"]},
        },
        "required": ["city", "days", "unit"],
        "additionalProperties": False,
        "$defs": {
            "day": {
                "type": "object",
                "properties": {"high": {"type": "integer"}, "dry": {"type": "boolean"}},
                "required": ["high", "dry"],
                "additionalProperties": False,
            }
        },
    }
    fmt = {"type": "json_schema", "name": "forecast", "schema": schema, "strict": True}
    for text in ("plain text please", "weather"):
        response = client.responses.create(
            model="gpt-4o", input=text, text={"format": fmt}, tool_choice="none", tools=[WEATHER]
        )
        value = json.loads(response.output_text)
        assert not list(Draft202012Validator(schema).iter_errors(value)), value
    assert response.text.format.type == "json_schema"


def test_max_output_tokens_ends_incomplete(client: Any) -> None:
    response = client.responses.create(
        model="gpt-4o", input="a long question " * 20, max_output_tokens=16
    )
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.output[0].status == "incomplete" and len(response.output_text) <= 64


def test_reasoning_effort_gives_a_reasoning_item(client: Any) -> None:
    response = client.responses.create(model="o4-mini", input="Think", reasoning={"effort": "low"})
    assert [i.type for i in response.output] == ["reasoning", "message"]
    assert response.output[0].id.startswith("rs_")


def test_background_poll_cancel_and_resume(client: Any) -> None:
    response = client.responses.create(model="gpt-4o", input="Later", background=True)
    assert response.status == "queued" and response.background is True
    seen = [response.status]
    while response.status in ("queued", "in_progress"):
        response = client.responses.retrieve(response.id)
        seen.append(response.status)
    assert seen == ["queued", "in_progress", "completed"]
    assert response.output_text == 'You said: "Later"'
    with pytest.raises(openai.BadRequestError):
        client.responses.cancel(response.id)

    other = client.responses.create(model="gpt-4o", input="Never", background=True)
    cancelled = client.responses.cancel(other.id)
    assert cancelled.status == "cancelled" and cancelled.output == []
    assert client.responses.retrieve(other.id).status == "cancelled"

    streamed = list(
        client.responses.create(model="gpt-4o", input="Resume", background=True, stream=True)
    )
    assert [e.type for e in streamed[:3]] == [
        "response.created",
        "response.queued",
        "response.in_progress",
    ]
    resumed_id = streamed[0].response.id
    resumed = list(client.responses.retrieve(resumed_id, stream=True, starting_after=4))
    assert [e.sequence_number for e in resumed] == [e.sequence_number for e in streamed[5:]]
    assert resumed[-1].type == "response.completed"


def test_cancel_needs_a_background_response(client: Any) -> None:
    response = client.responses.create(model="gpt-4o", input="Now")
    with pytest.raises(openai.BadRequestError, match="background=true"):
        client.responses.cancel(response.id)


def test_delete_then_not_found(client: Any) -> None:
    response = client.responses.create(model="gpt-4o", input="Bye")
    client.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)


def test_errors_name_what_is_wrong(client: Any) -> None:
    with pytest.raises(openai.NotFoundError, match="Previous response with id 'resp_nope'"):
        client.responses.create(model="gpt-4o", input="x", previous_response_id="resp_nope")
    with pytest.raises(openai.BadRequestError, match=r"No tool call found.*call_zzz"):
        client.responses.create(
            model="gpt-4o",
            input=[{"type": "function_call_output", "call_id": "call_zzz", "output": "1"}],
        )
    conversation = client.conversations.create()
    first = client.responses.create(model="gpt-4o", input="x")
    with pytest.raises(openai.BadRequestError, match="Mutually exclusive"):
        client.responses.create(
            model="gpt-4o", input="x", previous_response_id=first.id, conversation=conversation.id
        )
    with pytest.raises(openai.BadRequestError, match="cannot perform the 'web_search_preview'"):
        client.responses.create(
            model="gpt-4o",
            input="x",
            tools=[{"type": "web_search_preview"}],
            tool_choice={"type": "web_search_preview"},
        )
    with pytest.raises(openai.BadRequestError, match="Unknown parameter: 'bogus'"):
        client.responses.create(model="gpt-4o", input="x", extra_body={"bogus": 1})


def test_unanswered_calls_are_refused(client: Any, weather: Any) -> None:
    first = client.responses.create(model="gpt-4o", input="weather", tools=[WEATHER])
    with pytest.raises(openai.BadRequestError, match="No tool output found"):
        client.responses.create(
            model="gpt-4o", input="and then?", previous_response_id=first.id, tools=[WEATHER]
        )


def test_input_tokens_and_compact(client: Any) -> None:
    counted = client.responses.input_tokens.count(model="gpt-4o", input="Count these words")
    assert counted.object == "response.input_tokens" and counted.input_tokens > 0
    first = client.responses.create(model="gpt-4o", input="Remember this")
    compacted = client.responses.compact(model="gpt-4o", previous_response_id=first.id)
    assert compacted.object == "response.compaction"
    assert [i.type for i in compacted.output] == ["message", "compaction"]


def test_azure_shapes(emulator: Any) -> None:
    with openai.OpenAI(
        base_url=emulator.url + "/openai/v1", api_key="azure-key", max_retries=0
    ) as v1:
        assert v1.responses.create(model="gpt-4o", input="Hi").output_text == 'You said: "Hi"'
    with openai.AzureOpenAI(
        azure_endpoint=emulator.url,
        api_key="azure-key",
        api_version="2025-04-01-preview",
        max_retries=0,
    ) as dated:
        raw = dated.responses.with_raw_response.create(model="gpt-4o", input="Hi")
        assert raw.http_request.url.path == "/openai/responses"
        assert raw.parse().output_text == 'You said: "Hi"'
    denied = httpx.post(emulator.url + "/openai/v1/responses", json={"model": "m", "input": "x"})
    assert denied.status_code == 401


def test_seeded_responses_are_byte_identical(emulator: Any) -> None:
    def conversation() -> list[bytes]:
        emulator.reset(seed="same", brain=WEATHER_RULES)
        bodies = []
        with httpx.Client(
            base_url=emulator.base_url, headers={"Authorization": "Bearer k"}
        ) as http:
            first = http.post(
                "/responses", json={"model": "m", "input": "weather", "tools": [WEATHER]}
            )
            call_id = first.json()["output"][0]["call_id"]
            output = {"type": "function_call_output", "call_id": call_id, "output": "dry"}
            second = http.post(
                "/responses",
                json={"model": "m", "previous_response_id": first.json()["id"], "input": [output]},
            )
            streamed = http.post("/responses", json={"model": "m", "input": "s", "stream": True})
            bodies = [first.content, second.content, streamed.content]
        return bodies

    try:
        assert conversation() == conversation()
    finally:
        emulator.reset()
