# LlamaIndex: OpenAIResponses with a function tool, built at import time, and its tool loop
# (chat_with_tools, run the calls, hand back tool messages, ask again).
import pytest
from llama_index.core.llms import ChatMessage
from llama_index.core.tools import FunctionTool
from llama_index.llms.openai import OpenAIResponses
from weather import CALLED, QUESTION, RULES, weather


def get_weather(city: str) -> str:
    """The weather in a city."""
    return weather(city)


tool = FunctionTool.from_defaults(fn=get_weather)
llm = OpenAIResponses(model="gpt-4o")


@pytest.mark.assistants_cassette(brain=RULES)
def test_app():
    messages = [ChatMessage(role="user", content=QUESTION)]
    response = llm.chat_with_tools([tool], chat_history=messages)
    calls = llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    while calls:
        messages.append(response.message)
        for call in calls:
            output = tool(**call.tool_kwargs)
            extra = {"tool_call_id": call.tool_id, "name": call.tool_name}
            messages.append(ChatMessage(role="tool", content=str(output), additional_kwargs=extra))
        response = llm.chat_with_tools([tool], chat_history=messages)
        calls = llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    assert CALLED == ["Paris"]
    print("FINAL", response.message.content)
