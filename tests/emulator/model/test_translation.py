"""The model brain through the SDK, polling: what the model receives, and what its answers
make of the run (messages, requires_action with the model's ids, usage, limits)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from harness.emulator import EmulatorServer
from tests.emulator.model.conftest import planted_key
from tests.support.chat_server import ChatServer, call, completion

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}
TIME = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
}


def ask(client: Any, text: str, **run: Any) -> tuple[Any, Any]:
    assistant = client.beta.assistants.create(
        model="gpt-4o",
        name="Helper",
        instructions="You are terse.",
        tools=run.pop("tools", []),
    )
    thread = client.beta.threads.create(messages=[{"role": "user", "content": text}])
    return thread, client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, **run
    )


def reply_text(client: Any, thread: Any) -> str:
    messages = client.beta.threads.messages.list(thread.id, order="asc").data
    return str(messages[-1].content[0].text.value)


def test_plain_text_answer_becomes_the_message(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    chat.script(completion("Paris. {{message}} stays as sent.", usage=(21, 4)))
    thread, run = ask(client, "Capital of France?")
    assert run.status == "completed"
    assert reply_text(client, thread) == "Paris. {{message}} stays as sent."
    assert (run.usage.prompt_tokens, run.usage.completion_tokens) == (21, 4)
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data
    assert [s.type for s in steps] == ["message_creation"]
    assert (steps[0].usage.prompt_tokens, steps[0].usage.completion_tokens) == (21, 4)
    (sent,) = chat.received
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {planted_key()}"
    assert sent.body["model"] == "test-model"
    assert sent.body["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Capital of France?"},
    ]
    assert sent.body["seed"] == 7
    assert sent.body["temperature"] == 1.0  # the run's, as the brain sets none
    assert "tools" not in sent.body and "stream" not in sent.body


def test_run_options_and_thread_history_reach_the_model(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    chat.script(completion("first"), completion('{"answer": 4}'))
    thread, run = ask(client, "Hello")
    assert run.status == "completed"
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="
    )
    image = client.files.create(file=("dot.png", png), purpose="vision")
    client.beta.threads.messages.create(
        thread.id,
        role="user",
        content=[
            {"type": "text", "text": "What is 2+2, and what are these?"},
            {"type": "image_url", "image_url": {"url": "https://example.test/a.png"}},
            {"type": "image_file", "image_file": {"file_id": image.id, "detail": "low"}},
        ],
    )
    schema = {
        "type": "json_schema",
        "json_schema": {
            "name": "answer",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {"answer": {"type": "integer"}},
                "required": ["answer"],
                "additionalProperties": False,
            },
        },
    }
    second = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id,
        assistant_id=run.assistant_id,
        instructions="Answer in JSON.",
        additional_instructions="Be exact.",
        temperature=0.2,
        top_p=0.9,
        max_completion_tokens=300,
        response_format=schema,
        tools=[WEATHER],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        parallel_tool_calls=False,
    )
    assert second.status == "completed"
    assert reply_text(client, thread) == '{"answer": 4}'
    sent = chat.received[1].body
    assert sent["messages"][0] == {"role": "system", "content": "Answer in JSON.\nBe exact."}
    assert sent["messages"][1:3] == [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "first"},
    ]
    parts = sent["messages"][3]["content"]
    assert parts[0] == {"type": "text", "text": "What is 2+2, and what are these?"}
    assert parts[1] == {
        "type": "image_url",
        "image_url": {"url": "https://example.test/a.png", "detail": "auto"},
    }
    assert parts[2]["image_url"]["detail"] == "low"
    assert parts[2]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(png).decode()
    assert sent["tools"] == [WEATHER]  # the schema as given, strict kept
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert sent["parallel_tool_calls"] is False
    assert sent["response_format"] == schema
    assert (sent["temperature"], sent["top_p"], sent["max_completion_tokens"]) == (0.2, 0.9, 300)


def test_function_call_then_text_after_the_outputs(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    arguments = '{ "city":"Oslo" }'  # the argument text as the model sent it, spaces and all
    chat.script(
        completion(calls=[call("call_model_1", "get_weather", arguments)], usage=(30, 8)),
        completion("It is sunny in Oslo.", usage=(45, 6)),
    )
    thread, run = ask(client, "Weather in Oslo?", tools=[WEATHER], tool_choice="required")
    assert run.status == "requires_action"
    (tool_call,) = run.required_action.submit_tool_outputs.tool_calls
    assert (tool_call.id, tool_call.function.name) == ("call_model_1", "get_weather")
    assert tool_call.function.arguments == arguments
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": "call_model_1", "output": "sunny, 21C"}],
    )
    assert run.status == "completed"
    assert reply_text(client, thread) == "It is sunny in Oslo."
    assert (run.usage.prompt_tokens, run.usage.completion_tokens) == (75, 14)
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc").data
    assert [s.type for s in steps] == ["tool_calls", "message_creation"]
    assert [(s.usage.prompt_tokens, s.usage.completion_tokens) for s in steps] == [(30, 8), (45, 6)]
    first, second = chat.bodies
    assert first["tool_choice"] == "required"
    assert second["tool_choice"] == "auto"  # the model may answer once it has called a tool
    assert second["messages"][-2:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [call("call_model_1", "get_weather", arguments)],
        },
        {"role": "tool", "tool_call_id": "call_model_1", "content": "sunny, 21C"},
    ]


def test_a_later_run_shows_the_model_the_earlier_runs_tool_calls_and_their_outputs(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    arguments = '{"city": "Oslo"}'
    chat.script(
        completion(calls=[call("call_first", "get_weather", arguments)]),
        completion("Sunny in Oslo."),
        completion("Still sunny."),
    )
    thread, run = ask(client, "Weather in Oslo?", tools=[WEATHER])
    client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": "call_first", "output": "sunny, 21C"}],
    )
    client.beta.threads.messages.create(thread.id, role="user", content="And now?")
    second = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=run.assistant_id
    )
    assert second.status == "completed"
    assert chat.bodies[-1]["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Weather in Oslo?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [call("call_first", "get_weather", arguments)],
        },
        {"role": "tool", "tool_call_id": "call_first", "content": "sunny, 21C"},
        {"role": "assistant", "content": "Sunny in Oslo."},
        {"role": "user", "content": "And now?"},
    ]


def test_parallel_calls_share_one_step(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    chat.script(
        completion(
            calls=[
                call("call_a", "get_weather", '{"city": "Rome"}'),
                call("call_b", "get_time", "{}"),
            ]
        ),
        completion("Done."),
    )
    thread, run = ask(client, "Weather and time?", tools=[WEATHER, TIME])
    assert modelled.backend.notes == []  # no "no rule matched" hint: the model decided
    calls = run.required_action.submit_tool_outputs.tool_calls
    assert [(c.id, c.function.name) for c in calls] == [
        ("call_a", "get_weather"),
        ("call_b", "get_time"),
    ]
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[
            {"tool_call_id": "call_b", "output": "noon"},
            {"tool_call_id": "call_a", "output": "rain"},
        ],
    )
    assert run.status == "completed"
    sent = chat.received[1].body["messages"]
    assert sent[-2:] == [  # in the model's order, whatever order the outputs came in
        {"role": "tool", "tool_call_id": "call_a", "content": "rain"},
        {"role": "tool", "tool_call_id": "call_b", "content": "noon"},
    ]
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc").data
    assert [len(s.step_details.tool_calls) for s in steps if s.type == "tool_calls"] == [2]


def test_max_prompt_tokens_drops_the_oldest_messages_first_and_ends_the_run_past_it(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o", instructions="Be terse.")
    old, last = "an old story " * 200, "What now?"  # ~650 tokens, then ~3
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": old}, {"role": "user", "content": last}]
    )
    chat.script(completion("Fitted.", usage=(20, 3)))
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, max_prompt_tokens=300
    )
    assert run.status == "completed"
    assert chat.bodies[-1]["messages"] == [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": last},
    ]

    client.beta.threads.messages.create(thread.id, role="user", content="long " * 300)
    run = client.beta.threads.runs.create_and_poll(  # not even the last message fits
        thread_id=thread.id, assistant_id=assistant.id, max_prompt_tokens=256
    )
    assert (run.status, run.incomplete_details.reason) == ("incomplete", "max_prompt_tokens")
    assert len(chat.received) == 1  # the model was not asked

    chat.script(completion(calls=[call("call_1", "get_time", "{}")], usage=(250, 5)))
    thread, run = ask(client, "Time?", tools=[TIME], max_prompt_tokens=256)
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(  # 250 used: no second answer
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": "call_1", "output": "noon"}],
    )
    assert (run.status, run.incomplete_details.reason) == ("incomplete", "max_prompt_tokens")
    assert len(chat.received) == 2


def test_calls_without_ids_get_distinct_ones(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    chat.script(
        completion(calls=[call("", "get_time", "{}"), call("", "get_time", "{}")]),
        completion("ok"),
    )
    thread, run = ask(client, "Time twice", tools=[TIME])
    ids = [c.id for c in run.required_action.submit_tool_outputs.tool_calls]
    assert len(set(ids)) == 2 and all(i.startswith("call_") for i in ids)
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": i, "output": "x"} for i in ids],
    )
    assert run.status == "completed"
    sent = chat.received[1].body["messages"]
    assert [m["tool_call_id"] for m in sent if m["role"] == "tool"] == ids


def test_length_makes_the_run_incomplete(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    chat.script(completion("The answer is", finish="length"))
    thread, run = ask(client, "Tell me everything.", max_completion_tokens=256)
    assert run.status == "incomplete"
    assert run.incomplete_details.reason == "max_completion_tokens"
    (message,) = [
        m for m in client.beta.threads.messages.list(thread.id).data if m.role == "assistant"
    ]
    assert message.content[0].text.value == "The answer is"
    assert chat.received[0].body["max_completion_tokens"] == 256


def test_rules_still_win_where_one_matches(
    client: Any, modelled: EmulatorServer, chat: ChatServer, model_doc: dict[str, Any]
) -> None:
    modelled.set_brain(
        {
            "rules": [{"match": {"message": "^ping$"}, "actions": [{"say": "pong"}]}],
            "model": model_doc,
        }
    )
    chat.script(completion("from the model"))
    thread, run = ask(client, "ping")
    assert reply_text(client, thread) == "pong"
    assert chat.received == []
    thread, run = ask(client, "something else")
    assert run.status == "completed"
    assert reply_text(client, thread) == "from the model"
    assert len(chat.received) == 1


def test_no_key_variable_means_no_authorization_header(
    client: Any, emulator: EmulatorServer, chat: ChatServer, model_doc: dict[str, Any]
) -> None:
    doc = {k: v for k, v in model_doc.items() if k != "api_key_env"}
    emulator.set_brain({"model": {**doc, "temperature": 0}})
    chat.script(completion("ok"))
    _, run = ask(client, "hi", temperature=1.5)
    assert run.status == "completed"
    (sent,) = chat.received
    assert "authorization" not in sent.headers
    assert sent.body["temperature"] == 0  # the brain's, for reproducible takes
    assert json.dumps(sent.body).count("seed") == 1


def test_truncation_keeps_the_last_messages(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    chat.script(completion("ok"))
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": f"message {i}"} for i in range(5)]
    )
    client.beta.threads.runs.create_and_poll(
        thread_id=thread.id,
        assistant_id=assistant.id,
        truncation_strategy={"type": "last_messages", "last_messages": 2},
    )
    assert chat.bodies[0]["messages"] == [
        {"role": "user", "content": "message 3"},
        {"role": "user", "content": "message 4"},
    ]
