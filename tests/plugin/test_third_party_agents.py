"""An unmodified third-party app on the Responses API, the OpenAI Agents SDK's Runner with a
function tool, records through the plugin against the loopback Responses server
(`--record --record-backend=live`) and replays offline. Skipped where `openai-agents` is not
installed (it is not a dependency of the harness)."""

from __future__ import annotations

import pytest

from tests.support.responses_server import responses_server

pytest.importorskip("agents")

APP = """
import pytest
from agents import Agent, OpenAIResponsesModel, Runner, function_tool, set_tracing_disabled
from openai import AsyncOpenAI

set_tracing_disabled(True)  # traces would go to api.openai.com
CALLED = []


@function_tool
def get_weather(city: str) -> str:
    \"\"\"The weather in a city.\"\"\"
    CALLED.append(city)
    return f"sunny in {city}"


@pytest.mark.assistants_cassette
def test_agent():
    model = OpenAIResponsesModel(model="gpt-test", openai_client=AsyncOpenAI())
    agent = Agent(name="weather", instructions="Answer with the tool.", tools=[get_weather], model=model)
    result = Runner.run_sync(agent, "What is the weather in Paris?")
    assert CALLED == ["Paris"]
    assert result.final_output == "The tool said: sunny in Paris"
"""


def test_an_agents_sdk_runner_records_and_replays(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_app=APP)
    with responses_server(calls={"get_weather": {"city": "Paris"}}) as app:
        monkeypatch.setenv("OPENAI_BASE_URL", app.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-planted-0123456789abcdef")
        live = ("-p", "no:cacheprovider", "--record", "--record-backend=live")
        pytester.runpytest_subprocess(*live).assert_outcomes(passed=1)
        seen = len(app.seen)
    assert seen == 2  # the call, then the answer to its output
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    text = (pytester.path / "cassettes" / "test_app" / "test_agent.yaml").read_text()
    assert "function_call_output" in text and "sk-test-planted" not in text
