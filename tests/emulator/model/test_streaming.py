"""Streaming runs with the model brain: the model is asked to stream, and its text and its
function calls' arguments reach the client as Assistants events while the model is still
answering."""

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
    call,
    call_chunks,
    chunk,
    completion,
    text_chunks,
    usage_chunk,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Watching(AssistantEventHandler):
    """Keeps event names and deltas; lets the paused model go on at the first text delta
    (or, with `resume_on="arguments"`, the first arguments delta), noting the events the
    client had seen by then while the model was still paused."""

    def __init__(self, stream: Stream | None = None, resume_on: str = "text") -> None:
        super().__init__()
        self.stream = stream
        self.resume_on = resume_on
        self.names: list[str] = []
        self.deltas: list[str] = []
        self.arguments: list[str] = []
        self.indexed: list[tuple[int, str]] = []
        self.incomplete: list[Any] = []
        self.seen_while_paused: list[str] | None = None

    def on_event(self, event: Any) -> None:
        self.names.append(event.event)
        if event.event == "thread.message.incomplete":
            self.incomplete.append(event.data)
        if event.event == "thread.run.step.delta":
            # Read here: the SDK's on_tool_call_delta skips a delta that switches calls.
            for delta in event.data.delta.step_details.tool_calls or []:
                if delta.type == "function" and delta.function.arguments:
                    self.arguments.append(delta.function.arguments)
                    self.indexed.append((delta.index, delta.function.arguments))
                    if self.resume_on == "arguments":
                        self._resume()

    def on_text_delta(self, delta: Any, snapshot: Any) -> None:
        self.deltas.append(delta.value or "")
        if self.resume_on == "text":
            self._resume()

    def _resume(self) -> None:
        if self.stream is not None and not self.stream.resume.is_set():
            self.seen_while_paused = list(self.names)
            self.stream.resume.set()


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


TIME = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
}
CALL_ORDER = [
    "thread.run.created",
    "thread.run.queued",
    "thread.run.in_progress",
    "thread.run.step.created",
    "thread.run.step.in_progress",
    "thread.run.step.delta",
    "thread.run.requires_action",
]


def arguments_chunk(index: int, piece: str) -> dict[str, Any]:
    return chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})


def watch(client: Any, thread: Any, assistant: Any, handler: Watching) -> float:
    """Stream a run to its end (or to `requires_action`); the seconds it took."""
    started = time.monotonic()
    with client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant.id, event_handler=handler
    ) as s:
        s.until_done()
    return time.monotonic() - started


def test_call_arguments_stream_as_the_model_writes_them(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    pieces = ['{"ci', 'ty": "Li', 'ma"}']
    # Chunks: role, id and name, then the pieces. The model pauses after its first piece
    # until the client has seen an arguments delta: a brain that waited for the whole
    # answer would hold the stream for the pause's 10 s.
    stream = Stream(call_chunks([("call_live", "get_weather", pieces)]), pause_after=3)
    chat.script(stream)
    assistant, thread = start(client, "Weather in Lima?", [WEATHER])
    handler = Watching(stream, resume_on="arguments")
    assert watch(client, thread, assistant, handler) < 5
    assert handler.seen_while_paused is not None
    assert squash(handler.seen_while_paused) == CALL_ORDER[:-1]
    assert handler.arguments == pieces  # each of the model's pieces as one delta
    assert squash(handler.names) == CALL_ORDER
    run = handler.current_run
    assert run is not None and run.status == "requires_action"
    (tool_call,) = run.required_action.submit_tool_outputs.tool_calls
    assert (tool_call.id, tool_call.function.arguments) == ("call_live", '{"city": "Lima"}')


def test_parallel_calls_stream_interleaved(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    heads = [
        {"index": i, "id": f"call_{city}", "type": "function", "function": {"name": name}}
        for i, (city, name) in enumerate([("oslo", "get_weather"), ("time", "get_time")])
    ]
    chat.script(
        Stream(
            [
                chunk({"role": "assistant", "content": None}),
                chunk({"tool_calls": heads}),  # names whole once arguments come
                arguments_chunk(0, '{"city"'),
                arguments_chunk(1, "{"),
                arguments_chunk(0, ': "Oslo"}'),
                arguments_chunk(1, "}"),
                chunk({}, "tool_calls"),
                usage_chunk(17, 9),
            ]
        ),
        completion("Cold, and noon."),
    )
    assistant, thread = start(client, "Weather and time?", [WEATHER, TIME])
    handler = Watching()
    watch(client, thread, assistant, handler)
    assert handler.indexed == [(0, '{"city"'), (1, "{"), (0, ': "Oslo"}'), (1, "}")]
    assert squash(handler.names) == CALL_ORDER
    run = handler.current_run
    assert run is not None
    required = run.required_action.submit_tool_outputs.tool_calls
    assert [(c.id, c.function.name, c.function.arguments) for c in required] == [
        ("call_oslo", "get_weather", '{"city": "Oslo"}'),
        ("call_time", "get_time", "{}"),
    ]
    (step,) = client.beta.threads.runs.steps.list(run_id=run.id, thread_id=thread.id).data
    assert [c.id for c in step.step_details.tool_calls] == ["call_oslo", "call_time"]
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[
            {"tool_call_id": "call_time", "output": "12:00"},
            {"tool_call_id": "call_oslo", "output": "-3C"},
        ],
    )
    assert run.status == "completed"
    assert chat.bodies[1]["messages"][-2:] == [
        {"role": "tool", "tool_call_id": "call_oslo", "content": "-3C"},
        {"role": "tool", "tool_call_id": "call_time", "content": "12:00"},
    ]


def test_text_then_a_call_both_stream(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    calls = call_chunks([("call_after", "get_weather", ['{"city": ', '"Lima"}'])])
    chunks = [calls[0], chunk({"content": "Let me "}), chunk({"content": "check."}), *calls[1:]]
    # Paused after the call's first piece: the text is over, the call is not.
    stream = Stream(chunks, pause_after=5)
    chat.script(stream, completion("Warm.", usage=(30, 2)))
    assistant, thread = start(client, "Weather in Lima?", [WEATHER])
    handler = Watching(stream, resume_on="arguments")
    assert watch(client, thread, assistant, handler) < 5
    message_then_call = [
        *TEXT_ORDER[:-1],
        "thread.run.step.created",
        "thread.run.step.in_progress",
        "thread.run.step.delta",
    ]
    assert handler.seen_while_paused is not None
    assert squash(handler.seen_while_paused) == message_then_call
    assert squash(handler.names) == [*message_then_call, "thread.run.requires_action"]
    assert handler.deltas == ["Let me ", "check."]
    assert handler.arguments == ['{"city": ', '"Lima"}']
    run = handler.current_run
    assert run is not None
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": "call_after", "output": "28C"}],
    )
    assert run.status == "completed"
    # The counts as when the answer is read whole: the message step shows the answer's.
    steps = client.beta.threads.runs.steps.list(run_id=run.id, thread_id=thread.id, order="asc")
    usages = [(s.usage.prompt_tokens, s.usage.completion_tokens) for s in steps.data]
    assert usages == [(17, 9), (17, 0), (30, 2)]
    assert (run.usage.prompt_tokens, run.usage.completion_tokens) == (47, 11)
    assert chat.bodies[1]["messages"][-2]["content"] == "Let me check."


BAD_JSON = (
    "The model sent arguments for 'get_weather' that are not valid JSON: '{\"city\": \"Oslo\"'"
)


@pytest.mark.parametrize(
    ("ending", "status", "says", "step_end"),
    [
        ([chunk({}, "tool_calls"), usage_chunk(17, 9)], "failed", BAD_JSON, "failed"),
        (
            [{"error": {"message": "overloaded"}}],
            "failed",
            "sent an error mid-answer: overloaded.",
            "failed",
        ),
        ([chunk({}, "length"), usage_chunk(17, 9)], "incomplete", None, "completed"),
    ],
    ids=["bad-json", "endpoint-error", "length"],
)
def test_a_streamed_call_that_goes_wrong_ends_the_run_and_its_step(
    client: Any,
    modelled: EmulatorServer,
    chat: ChatServer,
    ending: list[dict[str, Any]],
    status: str,
    says: str | None,
    step_end: str,
) -> None:
    head = call_chunks([("call_bad", "get_weather", ['{"city": ', '"Oslo"'])])[:-2]
    chat.script(Stream(head + ending, done=False))
    assistant, thread = start(client, "Weather in Oslo?", [WEATHER])
    handler = Watching()
    watch(client, thread, assistant, handler)
    assert handler.arguments == ['{"city": ', '"Oslo"']
    run = handler.get_final_run()
    assert run.status == status
    if says is None:
        assert run.incomplete_details.reason == "max_completion_tokens"
    else:
        assert run.last_error.message.endswith(says)
    assert f"thread.run.step.{step_end}" in handler.names
    (step,) = client.beta.threads.runs.steps.list(run_id=run.id, thread_id=thread.id).data
    assert step.status == step_end
    assert step.step_details.tool_calls[0].function.arguments == '{"city": "Oslo"'


def test_bad_arguments_fail_a_streamed_run_as_a_polled_one(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    chat.script(
        Stream(call_chunks([("call_1", "get_weather", ['{"city": ', '"Oslo"'])])),
        completion(calls=[call("call_1", "get_weather", '{"city": "Oslo"')]),
    )
    assistant, thread = start(client, "Weather in Oslo?", [WEATHER])
    handler = Watching()
    watch(client, thread, assistant, handler)
    streamed = handler.get_final_run()
    client.beta.threads.messages.create(thread.id, role="user", content="Again.")
    polled = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id
    )
    assert streamed.status == polled.status == "failed"
    assert streamed.last_error.model_dump() == polled.last_error.model_dump()
    assert streamed.last_error.message == BAD_JSON


def test_a_call_to_a_tool_the_run_lacks_makes_no_step(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    chat.script(Stream(call_chunks([("call_x", "launch_rockets", ["{}"])])))
    assistant, thread = start(client, "Launch.", [WEATHER])
    handler = Watching()
    watch(client, thread, assistant, handler)
    run = handler.get_final_run()
    assert run.status == "failed"
    assert "called tool 'launch_rockets', which the run does not have" in run.last_error.message
    assert not [n for n in handler.names if n.startswith("thread.run.step")]


def test_the_events_of_a_streamed_function_call(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    calls = [
        ("call_a", "get_weather", ['{"city":', ' "Oslo"}']),
        ("call_b", "get_weather", ['{"city": "Rome"', "}"]),
    ]
    chat.script(Stream(call_chunks(calls)))
    assistant, thread = start(client, "Weather in Oslo and Rome?", [WEATHER])
    events = list(
        client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id, stream=True)
    )
    assert [e.event for e in events] == [
        *CALL_ORDER[:5],
        *["thread.run.step.delta"] * 6,
        "thread.run.requires_action",
    ]
    created = events[3].data
    assert created.type == "tool_calls" and created.step_details.tool_calls == []
    deltas = [e.data for e in events[5:11]]
    assert {d.id for d in deltas} == {created.id}
    parts = [d.delta.step_details.tool_calls[0] for d in deltas]
    heads = [p for p in parts if p.id is not None]
    assert [(p.index, p.id, p.function.name, p.function.arguments) for p in heads] == [
        (0, "call_a", "get_weather", ""),
        (1, "call_b", "get_weather", ""),
    ]
    for index, (_, _, pieces) in enumerate(calls):
        sent = [p.function.arguments for p in parts if p.index == index and p.id is None]
        assert sent == pieces
    required = events[-1].data.required_action.submit_tool_outputs.tool_calls
    assert [(c.id, c.function.arguments) for c in required] == [
        ("call_a", '{"city": "Oslo"}'),
        ("call_b", '{"city": "Rome"}'),
    ]
    (step,) = client.beta.threads.runs.steps.list(
        run_id=events[-1].data.id, thread_id=thread.id
    ).data
    assert step.status == "in_progress"
    assert [c.function.arguments for c in step.step_details.tool_calls] == [
        '{"city": "Oslo"}',
        '{"city": "Rome"}',
    ]


def test_a_builtin_call_after_a_streamed_call_runs_before_the_outputs_are_asked_for(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    calls = [
        ("call_w", "get_weather", ['{"city": "Oslo"}']),
        ("call_s", "file_search", ['{"query": "Oslo"}']),
    ]
    chat.script(Stream(call_chunks(calls)), completion("Cold."))
    assistant, thread = start(client, "Weather in Oslo?", [WEATHER, {"type": "file_search"}])
    handler = Watching()
    watch(client, thread, assistant, handler)
    run = handler.current_run
    assert run is not None and run.status == "requires_action"
    (required,) = run.required_action.submit_tool_outputs.tool_calls
    assert required.id == "call_w"
    steps = client.beta.threads.runs.steps.list(run_id=run.id, thread_id=thread.id, order="asc")
    assert [(s.status, s.step_details.tool_calls[0].type) for s in steps.data] == [
        ("in_progress", "function"),
        ("completed", "file_search"),
    ]
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": "call_w", "output": "-3C"}],
    )
    assert run.status == "completed"
    results = chat.bodies[1]["messages"][-2:]
    assert [(m["tool_call_id"], m["content"]) for m in results] == [
        ("call_w", "-3C"),
        ("call_s", "No passages of the attached files match the query."),
    ]
