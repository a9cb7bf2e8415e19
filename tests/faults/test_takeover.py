"""Fault overlays take over from the whole recorded state (issue 27): a thread's initial
messages, the ids the recording used, and the protocol invariants on what follows. Each test
records a small app with `pytest --record` (once per module for each kind of app), then
replays it with a fault."""

from __future__ import annotations

from pathlib import Path

import pytest

APP = """
import json
import pytest

BRAIN = [
    {
        "match": {"message": "weather in Paris"},
        "actions": [
            {"call": [{"name": "get_weather", "arguments": {"city": "Paris"}}]},
            {"say": "Forecast: {{outputs.get_weather}}"},
        ],
    }
]
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
ASK = "What is the weather in Paris?"


def weather(client, initial, attempts=2):
    runs = client.beta.threads.runs
    assistant = client.beta.assistants.create(model="gpt-4o", name="W", tools=[TOOL])
    if initial:
        thread = client.beta.threads.create(messages=[{"role": "user", "content": ASK}])
    else:
        thread = client.beta.threads.create()
        client.beta.threads.messages.create(thread_id=thread.id, role="user", content=ASK)
    statuses = []
    for _ in range(attempts):
        run = runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
        while run.status == "requires_action":
            outputs = []
            for call in run.required_action.submit_tool_outputs.tool_calls:
                try:
                    output = "sunny in " + json.loads(call.function.arguments)["city"]
                except (ValueError, KeyError):
                    output = "error: no city"
                outputs.append({"tool_call_id": call.id, "output": output})
            run = runs.submit_tool_outputs_and_poll(
                run_id=run.id, thread_id=thread.id, tool_outputs=outputs
            )
        statuses.append(run.status)
        if run.status == "completed":
            break
    messages = client.beta.threads.messages.list(thread_id=thread.id, order="asc").data
    steps = runs.steps.list(thread_id=thread.id, run_id=run.id, order="asc").data
    return statuses, messages, steps


def texts(messages):
    return [(m.role, m.content[0].text.value) for m in messages]
"""


RECORD = """
import pytest
from weather_app import BRAIN, weather

@pytest.mark.assistants_cassette(brain=BRAIN)
def test_weather(openai_client):
    statuses, messages, steps = weather(openai_client, initial={initial})
    assert statuses == ["completed"]
"""
CASSETTE = Path("cassettes", "test_weather", "test_weather.yaml")


@pytest.fixture(scope="module")
def recordings() -> dict[bool, bytes]:
    """The app's recording with and without initial messages, made once per module: a fault
    overlay is left out while recording, so every test of one kind records the same bytes."""
    return {}


def _recording(pytester: pytest.Pytester, recordings: dict[bool, bytes], *, initial: bool) -> bytes:
    """The app's cassette, recorded with `pytest --record` by the first test that needs it."""
    if initial not in recordings:
        pytester.makepyfile(weather_app=APP, test_weather=RECORD.format(initial=initial))
        pytester.runpytest("-p", "no:cacheprovider", "--record").assert_outcomes(passed=1)
        recordings[initial] = (pytester.path / CASSETTE).read_bytes()
    return recordings[initial]


def _record_then_fault(
    pytester: pytest.Pytester, recordings: dict[bool, bytes], tests: str, *, initial: bool
) -> pytest.RunResult:
    """`tests` (one `test_weather`) replayed faulted from the app's recording."""
    recorded = _recording(pytester, recordings, initial=initial)
    pytester.makepyfile(weather_app=APP, test_weather=tests)
    (pytester.path / CASSETTE).parent.mkdir(parents=True, exist_ok=True)
    (pytester.path / CASSETTE).write_bytes(recorded)
    return pytester.runpytest("-p", "no:cacheprovider")


def test_initial_messages_are_kept_and_the_run_goes_on_after_replaced_arguments(
    pytester: pytest.Pytester, recordings: dict[bool, bytes]
) -> None:
    result = _record_then_fault(
        pytester,
        recordings,
        """
import pytest
from weather_app import BRAIN, weather, texts

@pytest.mark.assistants_cassette(brain=BRAIN)
@pytest.mark.assistants_faults("arguments:empty@call_1")
def test_weather(openai_client, assistants_fault):
    statuses, messages, steps = weather(openai_client, initial=True)
    assert statuses == ["completed"]
    output = "error: no city" if assistants_fault else "sunny in Paris"
    assert texts(messages) == [
        ("user", "What is the weather in Paris?"),
        ("assistant", "Forecast: " + output),
    ]
    assert [s.type for s in steps] == ["tool_calls", "message_creation"]
    assert steps[0].step_details.tool_calls[0].function.output == output
""",
        initial=True,
    )
    result.assert_outcomes(passed=1)


def test_the_retry_after_a_failed_run_sees_the_initial_message_and_the_rule_fires(
    pytester: pytest.Pytester, recordings: dict[bool, bytes]
) -> None:
    result = _record_then_fault(
        pytester,
        recordings,
        """
import pytest
from weather_app import BRAIN, weather, texts

@pytest.mark.assistants_cassette(brain=BRAIN)
@pytest.mark.assistants_faults("failed@run_1")
def test_weather(openai_client, assistants_fault):
    statuses, messages, steps = weather(openai_client, initial=True)
    assert statuses == (["failed", "completed"] if assistants_fault else ["completed"])
    assert texts(messages) == [
        ("user", "What is the weather in Paris?"),
        ("assistant", "Forecast: sunny in Paris"),
    ]
    assert [s.type for s in steps] == ["tool_calls", "message_creation"]
""",
        initial=True,
    )
    result.assert_outcomes(passed=1)


def test_ids_the_emulator_mints_never_take_a_recorded_id(
    pytester: pytest.Pytester, recordings: dict[bool, bytes]
) -> None:
    result = _record_then_fault(
        pytester,
        recordings,
        """
import pytest
from weather_app import BRAIN, weather, texts

@pytest.mark.assistants_cassette(brain=BRAIN)
@pytest.mark.assistants_faults("failed@run_1")
def test_weather(openai_client, assistants_fault):
    statuses, messages, steps = weather(openai_client, initial=False)
    assert statuses == (["failed", "completed"] if assistants_fault else ["completed"])
    assert texts(messages) == [
        ("user", "What is the weather in Paris?"),
        ("assistant", "Forecast: sunny in Paris"),
    ]
    assert len({m.id for m in messages}) == 2
""",
        initial=False,
    )
    result.assert_outcomes(passed=1)


def test_an_overlaid_conversation_that_breaks_the_protocol_fails_with_the_invariant(
    pytester: pytest.Pytester, recordings: dict[bool, bytes]
) -> None:
    # A take-over that breaks the protocol (here, an emulator that lists a thread's messages
    # as belonging to another thread) fails the test with the rule it breaks. The recording
    # is made before the emulator is patched.
    _recording(pytester, recordings, initial=False)
    pytester.makeconftest(
        """
import pytest
import harness.emulator.backend.rendering as rendering

@pytest.fixture(autouse=True)
def misplaced_messages(monkeypatch):
    shown = rendering.rest_message
    moved = lambda message: {**shown(message), "thread_id": "thread_elsewhere"}
    monkeypatch.setattr(rendering, "rest_message", moved)
"""
    )
    result = _record_then_fault(
        pytester,
        recordings,
        """
import pytest
from weather_app import BRAIN, weather

@pytest.mark.assistants_cassette(brain=BRAIN)
@pytest.mark.assistants_faults("failed@run_1")
def test_weather(openai_client):
    statuses, messages, steps = weather(openai_client, initial=False)
    assert statuses[-1] == "completed"
""",
        initial=False,
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "fault overlay failed@run_1: the conversation the test was served breaks "
            "the Assistants API protocol:",
            "*interaction *: GET /threads/thread_1/messages?order=asc (order=asc) returns msg_1 (*) "
            "of thread thread_2",
        ]
    )


def test_what_the_recording_itself_breaks_is_not_blamed_on_the_overlay(
    pytester: pytest.Pytester, recordings: dict[bool, bytes]
) -> None:
    # A recorded server that broke the protocol (here: a run shown completed, then in
    # progress) is how that server behaved; overlaying a fault on its recording is no reason
    # to fail the test.
    recorded = _recording(pytester, recordings, initial=False)
    broken = {False: recorded.replace(b'"queued"', b'"completed"', 1)}
    result = _record_then_fault(
        pytester,
        broken,
        """
import pytest
from weather_app import BRAIN, weather

@pytest.mark.assistants_cassette(brain=BRAIN)
@pytest.mark.assistants_faults("http503@request_1")
def test_weather(openai_client):
    statuses, messages, steps = weather(openai_client, initial=False)
    assert statuses == ["completed"]
""",
        initial=False,
    )
    result.assert_outcomes(passed=1)
