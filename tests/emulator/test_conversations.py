"""Conversations through the SDK: the object and its items, and responses that append to it;
hosted tools of the Responses API (file_search, code_interpreter with containers)."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from tests.emulator.test_responses import WEATHER, WEATHER_RULES

PAPER = (
    "GPT-2 is a large transformer language model. It shows zero-shot task transfer on many "
    "benchmarks without any fine-tuning.\n\nThe model was trained on WebText, a dataset of "
    "millions of web pages."
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def test_conversation_lifecycle_and_items(client: Any) -> None:
    conversation = client.conversations.create(
        items=[{"role": "user", "content": "Hello"}], metadata={"topic": "demo"}
    )
    assert conversation.id.startswith("conv_") and conversation.metadata == {"topic": "demo"}
    assert client.conversations.retrieve(conversation.id).id == conversation.id
    updated = client.conversations.update(conversation.id, metadata={"topic": "other"})
    assert updated.metadata == {"topic": "other"}
    added = client.conversations.items.create(
        conversation.id,
        items=[
            {"role": "user", "content": "Second"},
            {"role": "assistant", "content": "Noted"},
        ],
    )
    assert [i.role for i in added.data] == ["user", "assistant"]
    assert added.data[1].content[0].type == "output_text"
    items = client.conversations.items.list(conversation.id, order="asc")
    assert [i.content[0].text for i in items.data] == ["Hello", "Second", "Noted"]
    first = items.data[0]
    assert client.conversations.items.retrieve(first.id, conversation_id=conversation.id).id == (
        first.id
    )
    after = client.conversations.items.delete(first.id, conversation_id=conversation.id)
    assert after.id == conversation.id
    assert len(client.conversations.items.list(conversation.id).data) == 2
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.retrieve(first.id, conversation_id=conversation.id)
    deleted = client.conversations.delete(conversation.id)
    assert deleted.deleted is True and deleted.id == conversation.id
    with pytest.raises(openai.NotFoundError, match="Conversation with id"):
        client.conversations.retrieve(conversation.id)


def test_responses_append_to_their_conversation(client: Any, emulator: Any) -> None:
    emulator.set_brain(WEATHER_RULES)
    conversation = client.conversations.create()
    first = client.responses.create(
        model="gpt-4o", input="weather please", tools=[WEATHER], conversation=conversation.id
    )
    assert first.conversation.id == conversation.id
    call = first.output[0]
    second = client.responses.create(
        model="gpt-4o",
        tools=[WEATHER],
        conversation={"id": conversation.id},
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "cold"}],
    )
    assert second.output_text == "In Paris it is cold."
    kinds = [i.type for i in client.conversations.items.list(conversation.id, order="asc").data]
    assert kinds == ["message", "function_call", "function_call_output", "message"]
    with pytest.raises(openai.NotFoundError, match="conv_missing"):
        client.responses.create(model="gpt-4o", input="x", conversation="conv_missing")


def test_file_search_with_citations(client: Any) -> None:
    file = client.files.create(file=("gpt2.txt", PAPER.encode()), purpose="assistants")
    store = client.vector_stores.create(name="papers", file_ids=[file.id])
    tool = {"type": "file_search", "vector_store_ids": [store.id]}
    response = client.responses.create(
        model="gpt-4o",
        input="What is zero-shot task transfer?",
        tools=[tool],
        include=["file_search_call.results"],
    )
    search, message = response.output
    assert search.type == "file_search_call" and search.id.startswith("fs_")
    assert search.queries == ["What is zero-shot task transfer?"]
    assert search.results and search.results[0].file_id == file.id
    assert 0 < search.results[0].score <= 1 and "zero-shot" in search.results[0].text
    text = message.content[0]
    (citation,) = text.annotations
    assert citation.type == "file_citation" and citation.file_id == file.id
    assert citation.filename == "gpt2.txt" and 0 < citation.index <= len(text.text)
    assert "【" not in text.text
    plain = client.responses.retrieve(response.id)
    assert plain.output[0].results is None
    asked = client.responses.retrieve(response.id, include=["file_search_call.results"])
    assert asked.output[0].results == search.results
    events = list(
        client.responses.create(model="gpt-4o", input="zero-shot", tools=[tool], stream=True)
    )
    kinds = [e.type for e in events]
    for kind in ("in_progress", "searching", "completed"):
        assert f"response.file_search_call.{kind}" in kinds
    assert "response.output_text.annotation.added" in kinds


def test_code_interpreter_in_an_auto_container(client: Any, emulator: Any) -> None:
    emulator.set_brain(
        [
            {
                "match": {"message": "plot"},
                "actions": [
                    {"code": f"open('plot.png', 'wb').write({PNG!r})\nprint(6 * 7)"},
                    {"say": "The answer is {{logs}}."},
                ],
            }
        ]
    )
    tool = {"type": "code_interpreter", "container": {"type": "auto"}}
    response = client.responses.create(
        model="gpt-4o",
        input="plot it",
        tools=[tool],
        include=["code_interpreter_call.outputs"],
    )
    call, message = response.output
    assert call.type == "code_interpreter_call" and call.id.startswith("ci_")
    assert call.container_id.startswith("cntr_") and "print(6 * 7)" in call.code
    assert call.outputs[0].type == "logs" and call.outputs[0].logs.strip() == "42"
    text = message.content[0]
    assert text.text.startswith("The answer is 42.")
    (cited,) = text.annotations
    assert cited.type == "container_file_citation" and cited.container_id == call.container_id
    assert (
        text.text[cited.start_index : cited.end_index] == "[plot.png](sandbox:/mnt/data/plot.png)"
    )
    content = client.containers.files.content.retrieve(
        cited.file_id, container_id=call.container_id
    )
    assert content.read() == PNG
    files = client.containers.files.list(call.container_id).data
    assert [(f.path, f.source) for f in files] == [("/mnt/data/plot.png", "assistant")]


def test_code_interpreter_in_a_named_container_reads_its_files(client: Any, emulator: Any) -> None:
    emulator.set_brain(
        [{"actions": [{"code": "print(open('data.csv').read())"}, {"say": "{{logs}}"}]}]
    )
    container = client.containers.create(name="work")
    assert container.id.startswith("cntr_") and container.status == "running"
    client.containers.files.create(container.id, file=("data.csv", b"a,b\n1,2\n"))
    tool = {"type": "code_interpreter", "container": container.id}
    events = list(client.responses.create(model="gpt-4o", input="go", tools=[tool], stream=True))
    kinds = [e.type for e in events]
    for kind in (
        "code_interpreter_call.in_progress",
        "code_interpreter_call_code.delta",
        "code_interpreter_call_code.done",
        "code_interpreter_call.interpreting",
        "code_interpreter_call.completed",
    ):
        assert f"response.{kind}" in kinds
    assert events[-1].response.output_text.strip() == "a,b\n1,2"
    assert [c.name for c in client.containers.list().data][:1] == ["work"]
    client.containers.delete(container.id)
    with pytest.raises(openai.NotFoundError, match="Container with id"):
        client.containers.retrieve(container.id)


def test_a_plan_needing_a_missing_tool_fails_the_response(client: Any, emulator: Any) -> None:
    emulator.set_brain([{"actions": [{"code": "print(1)"}]}])
    response = client.responses.create(model="gpt-4o", input="x")
    assert response.status == "failed"
    assert "code_interpreter" in response.error.message
    assert json.loads(client.responses.with_raw_response.retrieve(response.id).text)["error"]


def test_hosted_tools_scripted_by_rules(client: Any, emulator: Any) -> None:
    emulator.set_brain(
        [
            {
                "match": {"message": "news"},
                "actions": [
                    {"web_search": {"query": "emulator news", "sources": ["https://a.example/1"]}},
                    {"say": "Here is the news."},
                ],
            },
            {
                "match": {"message": "wiki"},
                "actions": [
                    {
                        "mcp": {
                            "server": "wiki",
                            "name": "ask",
                            "arguments": {"q": "x"},
                            "output": "42",
                        }
                    },
                    {"say": "The wiki says {{outputs.ask}}."},
                ],
            },
        ]
    )
    searched = client.responses.create(
        model="gpt-4o",
        input="news please",
        tools=[{"type": "web_search_preview"}],
        tool_choice={"type": "web_search_preview"},
    )
    call, message = searched.output
    assert message.content[0].text == "Here is the news."
    assert call.type == "web_search_call" and call.id.startswith("ws_")
    assert call.action.query == "emulator news"
    assert [s.url for s in call.action.sources] == ["https://a.example/1"]
    mcp_tool = {"type": "mcp", "server_label": "wiki", "server_url": "https://wiki.example/mcp"}
    events = list(
        client.responses.create(model="gpt-4o", input="wiki", tools=[mcp_tool], stream=True)
    )
    final = events[-1].response
    assert [i.type for i in final.output] == ["mcp_call", "message"]
    assert final.output[0].output == "42" and json.loads(final.output[0].arguments) == {"q": "x"}
    assert final.output_text == "The wiki says 42."
    assert "response.mcp_call_arguments.done" in {e.type for e in events}
    missing = client.responses.create(model="gpt-4o", input="news")
    assert missing.status == "failed" and "web_search" in missing.error.message


def test_a_hosted_tool_in_a_run_fails_the_run(client: Any, emulator: Any) -> None:
    emulator.set_brain([{"actions": [{"web_search": {"query": "x"}}]}])
    assistant = client.beta.assistants.create(model="gpt-4o")
    run = client.beta.threads.create_and_run_poll(assistant_id=assistant.id, poll_interval_ms=5)
    assert run.status == "failed" and "only responses" in run.last_error.message
