"""Streaming twins (scenario 7): SSE event order and the delta rules the SDK helpers rely on."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from openai import AssistantEventHandler

from tests.emulator.helpers import FIB_RULES, QUIZ_ARGUMENTS, QUIZ_FUNCTION, QUIZ_RULES

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TEXT_ORDER = [
    "thread.run.created",
    "thread.run.queued",
    "thread.run.in_progress",
    "thread.run.step.created",
    "thread.run.step.in_progress",
    "thread.message.created",
    "thread.message.in_progress",
    "thread.message.delta",
    "thread.message.completed",
    "thread.run.step.completed",
    "thread.run.completed",
]


def squash(events: list[str]) -> list[str]:
    """Collapse runs of repeated delta events into one."""
    out: list[str] = []
    for name in events:
        if not (out and out[-1] == name and name.endswith(".delta")):
            out.append(name)
    return out


class Recording(AssistantEventHandler):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.text = ""
        self.arguments = ""

    def on_event(self, event: Any) -> None:
        self.names.append(event.event)

    def on_text_delta(self, delta: Any, snapshot: Any) -> None:
        self.text += delta.value or ""

    def on_tool_call_delta(self, delta: Any, snapshot: Any) -> None:
        if delta.type == "function" and delta.function.arguments:
            self.arguments += delta.function.arguments


def test_runs_stream_text_reply(client: Any) -> None:
    assistant = client.beta.assistants.create(
        name="Math Tutor", instructions="Be brief.", model="gpt-4o"
    )
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": "I need to solve 3x + 11 = 14."}]
    )
    handler = Recording()
    with client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant.id, event_handler=handler
    ) as s:
        s.until_done()
    assert squash(handler.names) == TEXT_ORDER
    assert handler.names.count("thread.message.delta") > 2
    final = handler.get_final_run()
    assert final.status == "completed" and final.usage is not None
    (message,) = handler.get_final_messages()
    assert (
        message.content[0].text.value == handler.text == 'You said: "I need to solve 3x + 11 = 14."'
    )
    stored = client.beta.threads.messages.retrieve(thread_id=thread.id, message_id=message.id)
    assert stored.content[0].text.value == handler.text


def test_create_and_run_stream_starts_with_thread_created(client: Any) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o")
    with client.beta.threads.create_and_run_stream(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "Hello"}]}
    ) as stream:
        names = [event.event for event in stream]
    assert squash(names) == ["thread.created", *TEXT_ORDER]


def test_function_call_stream_then_submit_stream(client: Any, emulator: Any) -> None:
    emulator.set_brain(QUIZ_RULES)
    assistant = client.beta.assistants.create(
        model="gpt-4o", name="Math Tutor", tools=[{"type": "function", "function": QUIZ_FUNCTION}]
    )
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": "Make a quiz with 2 questions."}]
    )
    handler = Recording()
    with client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant.id, event_handler=handler
    ) as s:
        s.until_done()
    assert squash(handler.names) == [
        "thread.run.created",
        "thread.run.queued",
        "thread.run.in_progress",
        "thread.run.step.created",
        "thread.run.step.in_progress",
        "thread.run.step.delta",
        "thread.run.requires_action",
    ]
    run = handler.current_run
    assert run is not None and run.status == "requires_action"
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    assert json.loads(handler.arguments) == QUIZ_ARGUMENTS == json.loads(call.function.arguments)
    step = handler.current_run_step_snapshot
    assert (
        step is not None
        and step.step_details.tool_calls[0].function.arguments == call.function.arguments
    )
    after = Recording()
    with client.beta.threads.runs.submit_tool_outputs_stream(
        thread_id=thread.id,
        run_id=run.id,
        tool_outputs=[{"tool_call_id": call.id, "output": '["I don\'t know.", "a"]'}],
        event_handler=after,
    ) as s:
        s.until_done()
    assert squash(after.names) == [
        "thread.run.step.completed",
        "thread.run.queued",
        "thread.run.in_progress",
        *TEXT_ORDER[3:],
    ]
    assert after.get_final_run().status == "completed"
    assert after.text.startswith("Here is the feedback for your responses:")


def test_low_level_stream_true(client: Any) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Hi there"}])
    stream = client.beta.threads.runs.create(
        thread_id=thread.id, assistant_id=assistant.id, stream=True
    )
    names = [event.event for event in stream]
    assert squash(names) == TEXT_ORDER


def test_code_interpreter_stream_deltas(client: Any, emulator: Any) -> None:
    emulator.set_brain(FIB_RULES)
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[{"type": "code_interpreter"}])
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": "first 20 fibonacci numbers with code"}]
    )
    inputs: list[str] = []
    logs: list[str] = []

    class Handler(AssistantEventHandler):
        def on_tool_call_delta(self, delta: Any, snapshot: Any) -> None:
            if delta.code_interpreter.input:
                inputs.append(delta.code_interpreter.input)
            for output in delta.code_interpreter.outputs or []:
                logs.append(output.logs)

    handler = Handler()
    with client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant.id, event_handler=handler
    ) as s:
        s.until_done()
    assert "".join(inputs).startswith("def generate_fibonacci") and "4181" in logs[0]
    steps = handler.get_final_run_steps()
    assert [s.type for s in steps] == ["tool_calls", "message_creation"]
    assert steps[0].step_details.tool_calls[0].code_interpreter.input == "".join(inputs)


def test_file_search_stream_annotations(client: Any, tmp_path: Any) -> None:
    doc = tmp_path / "notes.txt"
    doc.write_text(
        "Bananas are yellow. The capital of France is Paris. Apples can be red.", encoding="utf-8"
    )
    store = client.vector_stores.create(name="notes")
    client.vector_stores.files.upload_and_poll(vector_store_id=store.id, file=doc.open("rb"))
    assistant = client.beta.assistants.create(
        model="gpt-4o",
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_store_ids": [store.id]}},
    )
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": "What is the capital of France?"}]
    )
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        names = [event.event for event in stream]
        (message,) = stream.get_final_messages()
    assert "thread.run.step.delta" in names
    text = message.content[0].text
    assert "The capital of France is Paris." in text.value
    assert text.annotations and all(
        text.value[a.start_index : a.end_index] == a.text for a in text.annotations
    )
    stored = (
        client.beta.threads.messages.retrieve(thread_id=thread.id, message_id=message.id)
        .content[0]
        .text
    )
    assert stored.model_dump() == text.model_dump()


def test_async_stream(aclient: Any) -> None:
    asyncio.run(_async_stream(aclient))


async def _async_stream(aclient: Any) -> None:
    from openai import AsyncAssistantEventHandler

    names: list[str] = []

    class Handler(AsyncAssistantEventHandler):
        async def on_event(self, event: Any) -> None:
            names.append(event.event)

    assistant = await aclient.beta.assistants.create(model="gpt-4o")
    thread = await aclient.beta.threads.create(
        messages=[{"role": "user", "content": "async hello"}]
    )
    async with aclient.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant.id, event_handler=Handler()
    ) as stream:
        await stream.until_done()
        final = await stream.get_final_run()
    assert squash(names) == TEXT_ORDER and final.status == "completed"
    await aclient.close()
