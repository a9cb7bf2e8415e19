# The OpenAI Agents SDK: a Runner with a function tool, the model named by a string, so the SDK
# builds its own AsyncOpenAI client (and shared httpx client) from the environment.
import pytest
from agents import Agent, Runner, function_tool, set_tracing_disabled
from weather import CALLED, QUESTION, RULES, weather

set_tracing_disabled(True)  # the SDK would export traces to api.openai.com


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return weather(city)


agent = Agent(
    name="Weather", instructions="Answer with the tool.", tools=[get_weather], model="gpt-4o"
)


@pytest.mark.assistants_cassette(brain=RULES)
def test_app():
    result = Runner.run_sync(agent, QUESTION)
    assert CALLED == ["Paris"]
    print("FINAL", result.final_output)
