"""Recording against the default backend, the embedded emulator, then replay.

Covers what only a real Assistants server exercises: poll helpers, the
streaming helpers with an `AssistantEventHandler`, `submit_tool_outputs_stream`,
async streaming, polling more often than recorded, and opt-in sleep skipping.
"""

from __future__ import annotations

import pytest

TESTS = """
import time
import asyncio
import pytest
from openai import AssistantEventHandler

QUIZ = {"name": "quiz", "parameters": {"type": "object", "properties": {"n": {"type": "integer"}}}}


class Collect(AssistantEventHandler):
    def __init__(self):
        super().__init__()
        self.names = []
        self.text = ""

    def on_event(self, event):
        self.names.append(event.event)

    def on_text_delta(self, delta, snapshot):
        self.text += delta.value or ""


@pytest.fixture
def tutor(openai_client):
    return openai_client.beta.assistants.create(model="gpt-4o", name="Math Tutor",
                                                tools=[{"type": "function", "function": QUIZ}])


@pytest.mark.assistants_cassette
def test_poll_then_poll_again(openai_client, tutor):
    thread = openai_client.beta.threads.create(messages=[{"role": "user", "content": "hello"}])
    run = openai_client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=tutor.id)
    assert run.status == "completed"
    for _ in range(5):  # more polls than were recorded: the last answer repeats
        again = openai_client.beta.threads.runs.retrieve(run.id, thread_id=thread.id)
        assert again.status == "completed"


@pytest.mark.assistants_cassette
def test_event_handler_and_tool_outputs_stream(openai_client, tutor):
    thread = openai_client.beta.threads.create(messages=[{"role": "user", "content": "call the tool"}])
    handler = Collect()
    with openai_client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=tutor.id, event_handler=handler,
        tool_choice={"type": "function", "function": {"name": "quiz"}},
    ) as stream:
        stream.until_done()
    run = stream.get_final_run()
    assert run.status == "requires_action"
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    after = Collect()
    with openai_client.beta.threads.runs.submit_tool_outputs_stream(
        thread_id=thread.id, run_id=run.id, event_handler=after,
        tool_outputs=[{"tool_call_id": call.id, "output": "42"}],
    ) as stream:
        stream.until_done()
    assert stream.get_final_run().status == "completed"
    assert handler.names[0] == "thread.run.created" and handler.names[-1] == "thread.run.requires_action"
    assert after.names[-1] == "thread.run.completed" and after.text
    print("EVENTS", len(handler.names) + len(after.names), after.text)


@pytest.mark.assistants_cassette
@pytest.mark.anyio
async def test_async_stream(async_openai_client):
    tutor = await async_openai_client.beta.assistants.create(model="gpt-4o", name="Math Tutor")
    thread = await async_openai_client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    names = []
    async with async_openai_client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=tutor.id) as stream:
        async for event in stream:
            names.append(event.event)
    assert names[-1] == "thread.run.completed"


@pytest.mark.assistants_cassette(skip_sleep=True)
def test_app_that_sleeps_while_it_polls(openai_client, tutor):
    thread = openai_client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    run = openai_client.beta.threads.runs.create(thread_id=thread.id, assistant_id=tutor.id)
    asked = slept = 0.0
    while run.status in ("queued", "in_progress"):
        started = time.monotonic()
        time.sleep(0.5)   # the seed's own wait loop
        asked, slept = asked + 0.5, slept + time.monotonic() - started
        run = openai_client.beta.threads.runs.retrieve(run.id, thread_id=thread.id)
    assert run.status == "completed"
    print("SLEPT", asked, slept)


@pytest.fixture
def anyio_backend():
    return "asyncio"
"""


def test_record_on_emulator_then_replay(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_app=TESTS)
    recorded = pytester.runpytest("--record", "-s", "--durations=0", "-vv")
    recorded.assert_outcomes(passed=4)
    events = [line for line in recorded.stdout.lines if line.startswith("EVENTS")]
    cassette = (
        pytester.path / "cassettes" / "test_app" / "test_poll_then_poll_again.yaml"
    ).read_text()
    assert '"backend": "emulator"' in cassette

    replayed = pytester.runpytest("-s", "--durations=0", "-vv")
    replayed.assert_outcomes(passed=4)
    assert [line for line in replayed.stdout.lines if line.startswith("EVENTS")] == events
    # The sleeping app waited 0.5 s per poll while recording; replay skips those sleeps
    # (all of them together take less than one would).
    asked, slept = _sleeps(recorded)
    assert asked >= 0.5 and slept >= asked
    asked, slept = _sleeps(replayed)
    assert asked >= 0.5 and slept < 0.5


def _sleeps(result: pytest.RunResult) -> tuple[float, float]:
    (line,) = [x for x in result.stdout.lines if "SLEPT " in x]
    asked, slept = line.split("SLEPT ", 1)[1].split()
    return float(asked), float(slept)
