"""code_interpreter and file_search under the model brain: offered to the model as functions,
run by the emulator (sandbox, vector stores), fed back, and recorded as the API showed them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.emulator import EmulatorServer
from tests.emulator.model.test_streaming import Watching
from tests.emulator.model.test_translation import WEATHER
from tests.support.chat_server import ChatServer, Stream, call, completion, text_chunks

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def tool_names(body: dict[str, Any]) -> list[str]:
    return [t["function"]["name"] for t in body["tools"]]


def test_code_interpreter_runs_the_models_code(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    data = client.files.create(file=("numbers.csv", b"n\n1\n2\n"), purpose="assistants")
    chat.script(
        completion(
            calls=[call("call_code", "code_interpreter", json.dumps({"code": "print(6 * 7)"}))]
        ),
        completion("The answer is 42."),
    )
    assistant = client.beta.assistants.create(
        model="gpt-4o",
        tools=[{"type": "code_interpreter"}],
        tool_resources={"code_interpreter": {"file_ids": [data.id]}},
    )
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "6 times 7?"}])
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, tool_choice={"type": "code_interpreter"}
    )
    assert run.status == "completed"
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc").data
    assert [s.type for s in steps] == ["tool_calls", "message_creation"]
    (code_call,) = steps[0].step_details.tool_calls
    assert code_call.type == "code_interpreter"
    assert code_call.code_interpreter.input == "print(6 * 7)"
    assert "42" in "".join(o.logs for o in code_call.code_interpreter.outputs if o.type == "logs")
    first, second = chat.bodies
    (tool,) = first["tools"]
    assert tool["function"]["name"] == "code_interpreter"
    assert "numbers.csv" in tool["function"]["description"]
    assert first["tool_choice"] == {"type": "function", "function": {"name": "code_interpreter"}}
    assert second["messages"][-1]["role"] == "tool"
    assert second["messages"][-1]["tool_call_id"] == "call_code"
    assert second["messages"][-1]["content"].strip() == "42"

    chat.script(completion("Still 42."))  # a later run shows the model the code it ran
    client.beta.threads.messages.create(thread.id, role="user", content="Sure?")
    client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    history = chat.bodies[-1]["messages"]  # no instructions: no system message
    assert [m["role"] for m in history] == ["user", "assistant", "tool", "assistant", "user"]
    (shown,) = history[1]["tool_calls"]
    assert shown["id"] == code_call.id and shown["function"]["name"] == "code_interpreter"
    assert json.loads(shown["function"]["arguments"]) == {"code": "print(6 * 7)"}
    assert history[2]["tool_call_id"] == code_call.id and history[2]["content"].strip() == "42"


def test_file_search_results_go_to_the_model_and_its_markers_become_citations(
    client: Any, modelled: EmulatorServer, chat: ChatServer, tmp_path: Path
) -> None:
    doc = tmp_path / "fruit.txt"
    doc.write_text("Bananas are yellow. Limes are green and sour.", encoding="utf-8")
    store = client.vector_stores.create(name="fruit")
    client.vector_stores.files.upload_and_poll(vector_store_id=store.id, file=doc.open("rb"))
    chat.script(
        completion(calls=[call("call_fs", "file_search", '{"query": "limes green"}')]),
        Stream(text_chunks(["Limes are green ", "【0:0†fr", "uit.txt】", "."])),
    )
    assistant = client.beta.assistants.create(
        model="gpt-4o",
        tools=[{"type": "file_search"}, WEATHER],
        tool_resources={"file_search": {"vector_store_ids": [store.id]}},
    )
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Lime colour?"}])
    handler = Watching()
    with client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant.id, event_handler=handler
    ) as s:
        s.until_done()
        (message,) = s.get_final_messages()
    assert handler.get_final_run().status == "completed"
    assert tool_names(chat.bodies[0]) == ["get_weather", "file_search"]
    fed = chat.bodies[1]["messages"][-1]
    assert fed["role"] == "tool" and fed["tool_call_id"] == "call_fs"
    assert "【0:0†fruit.txt】" in fed["content"] and "Limes are green and sour." in fed["content"]
    # the marker reaches the client whole, in one delta, with its annotation
    assert handler.deltas == ["Limes are green ", "【0:0†fruit.txt】", "."]
    text = message.content[0].text
    assert text.value == "Limes are green 【0:0†fruit.txt】."
    (note,) = text.annotations
    assert note.type == "file_citation"
    assert text.value[note.start_index : note.end_index] == note.text == "【0:0†fruit.txt】"
    files = client.vector_stores.files.list(store.id).data
    assert note.file_citation.file_id == files[0].id
    steps = client.beta.threads.runs.steps.list(
        handler.get_final_run().id, thread_id=thread.id, order="asc"
    ).data
    assert [s.type for s in steps] == ["tool_calls", "message_creation"]
    assert steps[0].step_details.tool_calls[0].type == "file_search"


def test_builtins_and_functions_in_one_answer(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    chat.script(
        completion(
            "Let me check.",
            calls=[
                call("call_w", "get_weather", '{"city": "Bern"}'),
                call("call_c", "code_interpreter", '{"code": "print(2 ** 10)"}'),
            ],
        ),
        completion("1024, and mild."),
    )
    assistant = client.beta.assistants.create(
        model="gpt-4o", tools=[WEATHER, {"type": "code_interpreter"}]
    )
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Both please"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "requires_action"
    assert [c.id for c in run.required_action.submit_tool_outputs.tool_calls] == ["call_w"]
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": "call_w", "output": "mild"}],
    )
    assert run.status == "completed"
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc").data
    assert [s.type for s in steps] == [
        "message_creation",
        "tool_calls",
        "tool_calls",
        "message_creation",
    ]
    sent = chat.bodies[1]["messages"]
    assert sent[-3]["content"] == "Let me check."
    assert [c["id"] for c in sent[-3]["tool_calls"]] == ["call_w", "call_c"]
    assert [(m["tool_call_id"], m["content"].strip()) for m in sent[-2:]] == [
        ("call_w", "mild"),
        ("call_c", "1024"),
    ]
