# LangChain: ChatOpenAI(use_responses_api=True) with a bound tool, built at import time, and the
# usual tool loop (invoke, run the tool calls, hand back ToolMessages, invoke again).
import pytest
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from weather import CALLED, QUESTION, RULES, weather


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return weather(city)


llm = ChatOpenAI(model="gpt-4o", use_responses_api=True).bind_tools([get_weather])


@pytest.mark.assistants_cassette(brain=RULES)
def test_app():
    messages = [HumanMessage(QUESTION)]
    reply = llm.invoke(messages)
    while reply.tool_calls:
        messages.append(reply)
        messages.extend(get_weather.invoke(call) for call in reply.tool_calls)
        reply = llm.invoke(messages)
    assert CALLED == ["Paris"]
    print("FINAL", reply.text)
