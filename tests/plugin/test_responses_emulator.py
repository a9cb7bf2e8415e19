"""`pytest --record` against the embedded emulator with Responses traffic, then replay: the
brain's function-call loop, streaming and conversations, recorded and replayed offline."""

from __future__ import annotations

import re

import pytest

TESTS = """
import json
import pytest

WEATHER = {"type": "function", "name": "get_weather",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                          "required": ["city"]}}
RULES = [{"match": {"message": "(?i)weather", "tools": ["get_weather"]},
          "actions": [{"call": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                      {"say": "It is {{outputs.get_weather}} in Paris."}]}]


@pytest.mark.assistants_cassette(brain=RULES)
def test_function_loop(openai_client):
    first = openai_client.responses.create(model="gpt-4o", input="weather?", tools=[WEATHER])
    call = first.output[0]
    assert call.type == "function_call" and json.loads(call.arguments) == {"city": "Paris"}
    second = openai_client.responses.create(
        model="gpt-4o", previous_response_id=first.id, tools=[WEATHER],
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}])
    print("ANSWER", second.id, second.output_text)


@pytest.mark.assistants_cassette
def test_stream_and_conversation(openai_client):
    conversation = openai_client.conversations.create()
    with openai_client.responses.stream(model="gpt-4o", input="hello",
                                        conversation=conversation.id) as stream:
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
    items = openai_client.conversations.items.list(conversation.id, order="asc").data
    print("STREAM", text, [i.type for i in items])
"""


def test_responses_record_on_emulator_then_replay(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_app=TESTS)
    recorded = pytester.runpytest("--record", "-s")
    recorded.assert_outcomes(passed=2)
    lines = _printed(recorded)
    assert any("It is sunny in Paris." in x for x in lines)
    assert any('You said: "hello"' in x and "['message', 'message']" in x for x in lines)
    cassette = pytester.path / "cassettes" / "test_app" / "test_function_loop.yaml"
    first = cassette.read_text()
    assert '"backend": "emulator"' in first and "resp_" in first

    replayed = pytester.runpytest("-s")
    replayed.assert_outcomes(passed=2)
    assert _printed(replayed) == lines

    pytester.runpytest("--record", "-s").assert_outcomes(passed=2)
    assert cassette.read_text() == first  # a re-recording is byte-identical


def _printed(result: pytest.RunResult) -> list[str]:
    return re.findall(r"(?:ANSWER|STREAM) .*", result.stdout.str())
