"""An unmodified third-party Responses client, the OpenAI Agents SDK's runner with a function
tool, completes a tool-calling conversation against the embedded emulator through
`pytest --record` with a brain rule, then replays it offline."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("agents")

TESTS = '''
import pytest
from agents import Agent, OpenAIResponsesModel, Runner, function_tool, set_tracing_disabled

RULES = [{"match": {"message": "(?i)weather", "tools": ["get_weather"]},
          "actions": [{"call": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                      {"say": "The weather: {{outputs.get_weather}}"}]}]


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


@pytest.mark.assistants_cassette(brain=RULES)
@pytest.mark.anyio
async def test_agent_calls_the_tool(async_openai_client):
    set_tracing_disabled(True)  # no trace export: nothing leaves loopback
    model = OpenAIResponsesModel(model="gpt-4o", openai_client=async_openai_client)
    agent = Agent(name="Weather", instructions="Help.", tools=[get_weather], model=model)
    result = await Runner.run(agent, "What is the weather in Paris?")
    print("FINAL", result.final_output)


@pytest.fixture
def anyio_backend():
    return "asyncio"
'''


def test_agents_runner_records_on_the_emulator_and_replays(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_agent=TESTS)
    recorded = pytester.runpytest("--record", "-s")
    recorded.assert_outcomes(passed=1)
    assert _final(recorded) == ["FINAL The weather: sunny in Paris"]
    replayed = pytester.runpytest("-s")
    replayed.assert_outcomes(passed=1)
    assert _final(replayed) == ["FINAL The weather: sunny in Paris"]


def _final(result: pytest.RunResult) -> list[str]:
    return re.findall(r"FINAL .*", result.stdout.str())
