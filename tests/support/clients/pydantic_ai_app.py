# pydantic-ai: an Agent on OpenAIResponsesModel with a tool, built at import time; the model's
# provider builds its AsyncOpenAI client on pydantic-ai's own cached httpx client.
import pytest
from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIResponsesModel
from weather import CALLED, QUESTION, RULES, weather

agent = Agent(OpenAIResponsesModel("gpt-4o"), instructions="Answer with the tool.")


@agent.tool_plain
def get_weather(city: str) -> str:
    """The weather in a city."""
    return weather(city)


@pytest.mark.assistants_cassette(brain=RULES)
def test_app():
    result = agent.run_sync(QUESTION)
    assert CALLED == ["Paris"]
    print("FINAL", result.output)
