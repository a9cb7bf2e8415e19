"""Streaming runs with the model brain: the model is asked to stream, and its text reaches
the client as Assistants events while the model is still answering."""

from __future__ import annotations

import time
from typing import Any

import pytest
from openai import AssistantEventHandler

from harness.emulator import EmulatorServer
from tests.emulator.model.test_translation import WEATHER
from tests.emulator.test_streaming import TEXT_ORDER, squash
from tests.support.chat_server import (
    ChatServer,
    Stream,
    call_chunks,
    chunk,
    completion,
    text_chunks,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Watching(AssistantEventHandler):
    """Keeps event names and text deltas; lets the paused model go on at the first delta."""

    def __init__(self, stream: Stream | None = None) -> None:
        super().__init__()
        self.stream = stream
        self.names: list[str] = []
        self.deltas: list[str] = []
        self.arguments: list[str] = []
        self.incomplete: list[Any] = []

    def on_event(self, event: Any) -> None:
        self.names.append(event.event)
        if event.event == "thread.message.incomplete":
            self.incomplete.append(event.data)

    def on_text_delta(self, delta: Any, snapshot: Any) -> None:
        self.deltas.append(delta.value or "")
        if self.stream is not None:
            self.stream.resume.set()

    def on_tool_call_delta(self, delta: Any, snapshot: Any) -> None:
        if delta.type == "function" and delta.function.arguments:
            self.arguments.append(delta.function.arguments)


def start(client: Any, text: str, tools: list[Any] | None = None) -> tuple[Any, Any]:
    assistant = client.beta.assistants.create(model="gpt-4o", tools=tools or [])
    thread = client.beta.threads.create(messages=[{"role": "user", "content": text}])
    return assistant, thread


def test_text_streams_as_the_model_writes_it(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    pieces = ["Bonjour", ", je ", "suis ", "là."]
    # The model pauses after its second piece until the client has seen a delta: a brain
    # that waited for the whole answer would hold the stream for the pause's 10 s.
    stream = Stream(text_chunks(pieces, usage=(40, 12)), pause_after=3)
    chat.script(stream)
    assistant, thread = start(client, "Say hello in French.")
    handler = Watching(stream)
    started = time.monotonic()
    with client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant.id, event_handler=handler
    ) as s:
        s.until_done()
    assert time.monotonic() - started < 5
    assert handler.deltas == pieces  # each of the model's pieces as one delta
    assert squash(handler.names) == TEXT_ORDER
    run = handler.get_final_run()
    assert run.status == "completed"
    assert (run.usage.prompt_tokens, run.usage.completion_tokens) == (40, 12)
    (sent,) = chat.bodies
    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}
    stored = client.beta.threads.messages.list(thread.id).data[0]
    assert stored.content[0].text.value == "".join(pieces)


def test_streamed_tool_calls_then_text_after_submitting(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    chat.script(
        Stream(call_chunks([("call_s1", "get_weather", ['{"ci', 'ty": "Li', 'ma"}'])])),
        Stream(text_chunks(["Warm ", "in Lima."])),
    )
    assistant, thread = start(client, "Weather in Lima?", [WEATHER])
    handler = Watching()
    with client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant.id, event_handler=handler
    ) as s:
        s.until_done()
    run = handler.current_run
    assert run is not None and run.status == "requires_action"
    (tool_call,) = run.required_action.submit_tool_outputs.tool_calls
    assert tool_call.id == "call_s1"
    assert tool_call.function.arguments == '{"city": "Lima"}' == "".join(handler.arguments)
    after = Watching()
    with client.beta.threads.runs.submit_tool_outputs_stream(
        thread_id=thread.id,
        run_id=run.id,
        tool_outputs=[{"tool_call_id": "call_s1", "output": "28C"}],
        event_handler=after,
    ) as s:
        s.until_done()
    assert after.deltas == ["Warm ", "in Lima."]
    assert after.get_final_run().status == "completed"
    second = chat.bodies[1]
    assert second["stream"] is True
    assert second["messages"][-1] == {"role": "tool", "tool_call_id": "call_s1", "content": "28C"}


def test_polling_after_a_streamed_start_asks_without_streaming(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    chat.script(
        Stream(call_chunks([("call_p", "get_weather", ['{"city": "Quito"}'])])),
        completion("Cool in Quito."),
    )
    assistant, thread = start(client, "Weather in Quito?", [WEATHER])
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as s:
        s.until_done()
        run = s.current_run
    assert run is not None
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": "call_p", "output": "15C"}],
    )
    assert run.status == "completed"
    assert [b.get("stream", False) for b in chat.bodies] == [True, False]


def test_length_and_errors_mid_stream(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    chat.script(
        Stream([chunk({"content": "Once upon"}), chunk({"content": " a"}, "length")]),
        Stream([chunk({"content": "Half an"}), {"error": {"message": "overloaded"}}], done=False),
    )
    assistant, thread = start(client, "Tell a story.")
    handler = Watching()
    with client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant.id, event_handler=handler
    ) as s:
        s.until_done()
    run = handler.get_final_run()
    assert run.status == "incomplete"
    assert run.incomplete_details.reason == "max_completion_tokens"
    (message,) = handler.incomplete
    assert message.content[0].text.value == "Once upon a"
    assert message.incomplete_details.reason == "max_tokens"

    client.beta.threads.messages.create(thread.id, role="user", content="Another.")
    failing = Watching()
    with client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant.id, event_handler=failing
    ) as s:
        s.until_done()
    run = failing.get_final_run()
    assert run.status == "failed"
    assert run.last_error.message.endswith("sent an error mid-answer: overloaded.")
    assert failing.deltas == ["Half an"]
    (message,) = failing.incomplete
    assert (message.content[0].text.value, message.incomplete_details.reason) == (
        "Half an",
        "run_failed",
    )
    assert chat.bodies[1]["messages"][-3:] == [
        {"role": "user", "content": "Tell a story."},
        {"role": "assistant", "content": "Once upon a"},
        {"role": "user", "content": "Another."},
    ]
