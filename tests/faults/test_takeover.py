"""Fault overlays take over from the whole recorded state (issue 27): a thread's initial
messages, the ids the recording used, and the protocol invariants on what follows. Each test
records a small app with `pytest --record`, then replays it with a fault."""

from __future__ import annotations

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


def _record_then_fault(pytester: pytest.Pytester, tests: str) -> pytest.RunResult:
    """Record the test (its faults are left out while recording), then replay it faulted."""
    pytester.makepyfile(weather_app=APP, test_weather=tests)
    recorded = pytester.runpytest("-p", "no:cacheprovider", "--record")
    recorded.assert_outcomes(passed=1)
    return pytester.runpytest("-p", "no:cacheprovider")


def test_initial_messages_are_kept_and_the_run_goes_on_after_replaced_arguments(
    pytester: pytest.Pytester,
) -> None:
    result = _record_then_fault(
        pytester,
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
    )
    result.assert_outcomes(passed=1)


def test_the_retry_after_a_failed_run_sees_the_initial_message_and_the_rule_fires(
    pytester: pytest.Pytester,
) -> None:
    result = _record_then_fault(
        pytester,
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
    )
    result.assert_outcomes(passed=1)


def test_ids_the_emulator_mints_never_take_a_recorded_id(pytester: pytest.Pytester) -> None:
    result = _record_then_fault(
        pytester,
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
    )
    result.assert_outcomes(passed=1)


def test_an_overlaid_conversation_that_breaks_the_protocol_fails_with_the_invariant(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        weather_app=APP,
        test_weather="""
import pytest
from weather_app import BRAIN, weather

@pytest.mark.assistants_cassette(brain=BRAIN)
@pytest.mark.assistants_faults("http503@request_1")
def test_weather(openai_client):
    statuses, messages, steps = weather(openai_client, initial=False)
    assert statuses == ["completed"]
""",
    )
    pytester.runpytest("-p", "no:cacheprovider", "--record").assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_weather" / "test_weather.yaml"
    text = cassette.read_text(encoding="utf-8")
    # the run as created is shown completed, and then in progress: a terminal state left
    cassette.write_text(text.replace('"queued"', '"completed"', 1), encoding="utf-8")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "fault overlay http503@request_1: the conversation the test was served breaks "
            "the Assistants API protocol:",
            "*interaction *: run run_1 (*): illegal transition completed -> in_progress*",
        ]
    )
