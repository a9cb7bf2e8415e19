"""Fault overlays over Responses and Conversations traffic hand over to the emulator as they
do for Assistants traffic: a retry after a faulted response is answered by the emulator, which
learned the recording's responses (their input, the previous_response_id chain, the
conversation's items) and goes on with the test's brain where its plan was. `faults="each"`
enumerates every fault of such a recording, and the app survives each one. Each test records
the app with `pytest --record` (the embedded emulator, one brain rule), then replays it."""

from __future__ import annotations

import pytest

APP = """
import json

BRAIN = [
    {
        "match": {"message": "weather in Paris"},
        "actions": [
            {"call": [{"name": "get_weather", "arguments": {"city": "Paris"}}]},
            {"say": "Forecast: {{outputs.get_weather}}"},
        ],
    }
]
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
ASK = "What is the weather in Paris?"


def settle(client, **request):
    # a background response, polled to its end; tried again once when it did not complete
    statuses = []
    for _ in range(2):
        response = client.responses.create(
            model="gpt-4o", tools=[WEATHER], background=True, **request
        )
        while response.status in ("queued", "in_progress"):
            response = client.responses.retrieve(response.id)
        statuses.append(response.status)
        if response.status == "completed":
            break
    return response, statuses


def answers(response):
    outputs = []
    for item in response.output:
        if item.type == "function_call":
            try:
                output = "sunny in " + json.loads(item.arguments)["city"]
            except (ValueError, KeyError, TypeError):
                output = "error: no city"
            outputs.append(
                {"type": "function_call_output", "call_id": item.call_id, "output": output}
            )
    return outputs


def chained(client):
    asked, first = settle(client, input=ASK)
    answer, second = settle(client, previous_response_id=asked.id, input=answers(asked))
    return first, second, answer.output_text


def in_conversation(client):
    conversation = client.conversations.create(metadata={"app": "weather"})
    asked, first = settle(client, conversation=conversation.id, input=ASK)
    answer, second = settle(client, conversation=conversation.id, input=answers(asked))
    items = client.conversations.items.list(conversation.id, order="asc").data
    return first, second, answer.output_text, [i.type for i in items]
"""


def _record(pytester: pytest.Pytester, tests: str) -> None:
    pytester.makepyfile(weather_app=APP, test_weather=tests)
    pytester.runpytest("-p", "no:cacheprovider", "--record").assert_outcomes(passed=1)


def test_a_retry_after_a_failed_response_continues_the_chain_with_the_brain(
    pytester: pytest.Pytester,
) -> None:
    _record(
        pytester,
        """
import pytest
from weather_app import BRAIN, chained

@pytest.mark.assistants_cassette(brain=BRAIN)
@pytest.mark.assistants_faults(faults=["failed@resp_2", "cancelled@resp_1"])
def test_weather(openai_client, assistants_fault):
    first, second, text = chained(openai_client)
    if assistants_fault is None:
        assert (first, second) == (["completed"], ["completed"])
    elif assistants_fault.target == "resp_2":
        # the retry names the recorded resp_1 as previous: the emulator learned it, with
        # the call it made, and the brain goes on after that call
        assert (first, second) == (["completed"], ["failed", "completed"])
    else:
        assert (first, second) == (["cancelled", "completed"], ["completed"])
    assert text == "Forecast: sunny in Paris"
""",
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=2)


def test_a_conversation_is_taken_over_with_its_items_in_order(pytester: pytest.Pytester) -> None:
    _record(
        pytester,
        """
import pytest
from weather_app import BRAIN, in_conversation

@pytest.mark.assistants_cassette(brain=BRAIN)
@pytest.mark.assistants_faults("failed@resp_2.poll_1")
def test_weather(openai_client, assistants_fault):
    first, second, text, items = in_conversation(openai_client)
    assert text == "Forecast: sunny in Paris"
    if assistants_fault is None:
        assert items == ["message", "function_call", "function_call_output", "message"]
    else:
        # listed by the emulator: the failed try's output, the retry's, the answer
        assert second == ["failed", "completed"]
        assert items == [
            "message", "function_call", "function_call_output", "function_call_output",
            "message",
        ]
""",
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


EACH = """
import pytest
from weather_app import BRAIN, in_conversation

@pytest.mark.assistants_cassette(brain=BRAIN)
@pytest.mark.assistants_faults(faults="each")
def test_weather(openai_client, assistants_fault):
    first, second, text, items = in_conversation(openai_client)
    assert first[-1] == second[-1] == "completed"
    if assistants_fault is not None and assistants_fault.kind == "arguments":
        assert text == "Forecast: error: no city"
    else:
        assert text == "Forecast: sunny in Paris"
    assert items[0] == "message" and items[-1] == "message"
"""


def test_each_enumerates_the_responses_and_conversation_faults_and_the_app_survives_them(
    pytester: pytest.Pytester,
) -> None:
    from harness.cassette.storage import read_cassette
    from harness.faults import each

    _record(pytester, EACH)
    found = [
        f.id
        for f in each(read_cassette(pytester.path / "cassettes/test_weather/test_weather.yaml"))
    ]
    ends = ["failed", "failed:rate_limit_exceeded", "cancelled", "incomplete"]
    http = ["http429", "http500", "http503"]
    expected = [f"{end}@resp_1" for end in ends]
    expected += [f"{h}@resp_1.{part}" for part in ("create", "poll_1") for h in http]
    expected += ["arguments:empty@call_1", "arguments:malformed@call_1"]
    expected += [f"{end}@resp_2" for end in ends]
    expected += [f"{h}@resp_2.{part}" for part in ("create", "poll_1") for h in http]
    expected += [f"{h}@request_1" for h in http]  # conversations.create
    assert found == expected
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=len(expected))
