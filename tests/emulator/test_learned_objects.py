"""A fault take-over learns objects as the recorded server sent them. A server that deviates
from the API (fields left out, a text content as a list of parts, timestamps in milliseconds,
a list labelled as a step) must not crash the emulator, and everything it answers from what it
learned is what the API sends: every response here is checked against the API's schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from harness.emulator import EmulatorServer
from tests.emulator.helpers import FAST, Recorder, problems

MS = 1_760_000_000_000  # a deviating server's timestamps: milliseconds
TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
CALL = {
    "id": "call_dev",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}
# Each object with only what such a server sent: no temperature, top_p, response_format,
# tool_choice, usage, expires_at, status fields, step type, file bytes or status, ...
LEARNED: list[dict[str, Any]] = [
    {"id": "asst_dev", "object": "assistant", "created_at": MS, "model": "gpt-4o", "tools": [TOOL]},
    {"id": "thread_dev", "object": "thread", "created_at": MS},
    {
        "id": "msg_dev",
        "object": "thread.message",
        "created_at": MS,
        "thread_id": "thread_dev",
        "role": "user",
        "content": [{"type": "text", "text": [{"value": "Weather in Paris?"}]}],
    },
    {
        "id": "run_dev",
        "object": "thread.run",
        "created_at": MS,
        "thread_id": "thread_dev",
        "assistant_id": "asst_dev",
        "status": "requires_action",
        "model": "gpt-4o",
        "tools": [TOOL],
        "required_action": {
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {"tool_calls": [CALL]},
        },
    },
    {
        "object": "thread.run.step",  # a list, mislabelled
        "data": [
            {
                "id": "step_dev",
                "object": "thread.run.step",
                "created_at": MS,
                "run_id": "run_dev",
                "thread_id": "thread_dev",
                "status": "in_progress",
                "step_details": {"type": "tool_calls", "tool_calls": [CALL]},
            }
        ],
        "has_more": False,
    },
    {
        "id": "file-dev",
        "object": "file",
        "created_at": MS,
        "filename": "a.txt",
        "purpose": "assistants",
    },
    {"id": "vs_dev", "object": "vector_store", "created_at": MS, "name": "kb"},
    {"id": "file-dev", "object": "vector_store.file", "vector_store_id": "vs_dev"},
    {"id": "vsfb_dev", "object": "vector_store.files_batch", "vector_store_id": "vs_dev"},
]


@pytest.fixture
def learned() -> Iterator[tuple[Any, Recorder]]:
    from openai import OpenAI

    box: dict[str, Recorder] = {}

    def wrap(app: Any) -> Recorder:
        box["r"] = Recorder(app)
        return box["r"]

    with EmulatorServer(options=FAST, wrap=wrap) as server:
        server.call(server.backend.learn(LEARNED))
        server.call(server.backend.take_over("thread_dev"))
        with OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0) as client:
            yield client, box["r"]


def test_what_a_deviating_server_left_out_gets_the_apis_defaults(
    learned: tuple[Any, Recorder],
) -> None:
    client, recorder = learned
    runs = client.beta.threads.runs
    assistant = client.beta.assistants.retrieve("asst_dev")
    assert (assistant.temperature, assistant.top_p, assistant.response_format) == (1.0, 1.0, "auto")
    waiting = runs.retrieve("run_dev", thread_id="thread_dev")
    assert (waiting.tool_choice, waiting.temperature, waiting.parallel_tool_calls) == (
        "auto",
        1.0,
        True,
    )
    assert waiting.created_at == MS // 1000  # seconds, as the API counts them
    message = client.beta.threads.messages.retrieve("msg_dev", thread_id="thread_dev")
    assert message.content[0].text.value == "Weather in Paris?"

    # The run the recording left waiting goes on; a new run starts on the learned assistant.
    done = runs.submit_tool_outputs_and_poll(
        run_id="run_dev",
        thread_id="thread_dev",
        tool_outputs=[{"tool_call_id": "call_dev", "output": "sunny"}],
        poll_interval_ms=1,
    )
    assert done.status == "completed"
    steps = runs.steps.list("run_dev", thread_id="thread_dev", order="asc").data
    assert [s.type for s in steps] == ["tool_calls", "message_creation"]
    assert steps[0].step_details.tool_calls[0].function.output == "sunny"
    again = runs.create_and_poll(
        thread_id="thread_dev", assistant_id="asst_dev", poll_interval_ms=1
    )
    assert again.status == "completed" and again.temperature == 1.0
    newest = client.beta.threads.messages.list("thread_dev").data[0]
    assert newest.role == "assistant" and newest.created_at >= MS // 1000

    file = client.files.retrieve("file-dev")
    assert (file.filename, file.bytes, file.status) == ("a.txt", 0, "processed")
    store = client.vector_stores.retrieve("vs_dev")
    assert store.name == "kb" and store.file_counts.total == 0
    assert [f.id for f in client.vector_stores.files.list("vs_dev").data] == ["file-dev"]
    batch = client.vector_stores.file_batches.retrieve("vsfb_dev", vector_store_id="vs_dev")
    assert batch.file_counts.total == 0

    found = [p for exchange in recorder.exchanges for p in problems(exchange)]
    assert not found, "\n".join(found[:20])
