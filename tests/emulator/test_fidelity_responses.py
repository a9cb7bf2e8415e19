"""Every kind of object and stream event the emulator sends for the Responses and
Conversations APIs, against the spec: each carries every field its schema names (but the
few listed here, with the reason), and a conversation that uses every tool the emulator
performs sends every event type those tools send."""

from __future__ import annotations

import json
from typing import Any

from harness.api.schemas import document
from tests.emulator.test_conversations import PAPER, PNG
from tests.emulator.test_responses import WEATHER

# Fields the spec names that the emulator leaves out, and why.
LEFT_OUT = {
    "Response": {
        "output_text": "the SDKs compute it; the API does not send it",
        "prompt": "sent only when the request names a prompt template",
        "prompt_cache_options": "a newer field of the spec, not in recorded responses",
        "moderation": "a newer field of the spec, not in recorded responses",
    },
    "OutputMessage": {"phase": "a newer field of the spec, not in recorded responses"},
    "FunctionToolCall": {
        "caller": "a newer field of the spec, not in recorded responses",
        "namespace": "only for tools given in a namespace",
    },
    "ReasoningItem": {
        "content": "reasoning text is not shown by the real API either",
        "encrypted_content": "only with include=['reasoning.encrypted_content']",
        "status": "the real API's reasoning items had none",
    },
    "ContainerResource": {"network_policy": "a newer field of the spec"},
}
KIND_SCHEMAS = {
    "message": "OutputMessage",
    "function_call": "FunctionToolCall",
    "file_search_call": "FileSearchToolCall",
    "code_interpreter_call": "CodeInterpreterToolCall",
    "reasoning": "ReasoningItem",
    "output_text": "OutputTextContent",
    "file_citation": "FileCitationBody",
    "container_file_citation": "ContainerFileCitationBody",
}
EVENTS_SENT = {
    "response.created",
    "response.queued",
    "response.in_progress",
    "response.completed",
    "response.incomplete",
    "response.failed",
    "response.output_item.added",
    "response.output_item.done",
    "response.content_part.added",
    "response.content_part.done",
    "response.output_text.delta",
    "response.output_text.done",
    "response.output_text.annotation.added",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.file_search_call.in_progress",
    "response.file_search_call.searching",
    "response.file_search_call.completed",
    "response.code_interpreter_call.in_progress",
    "response.code_interpreter_call_code.delta",
    "response.code_interpreter_call_code.done",
    "response.code_interpreter_call.interpreting",
    "response.code_interpreter_call.completed",
}


def _fields(name: str) -> set[str]:
    schemas = document()["components"]["schemas"]
    out: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        if "$ref" in node:
            walk(schemas[node["$ref"].rsplit("/", 1)[1]])
        out.update(node.get("properties") or {})
        for part in node.get("allOf") or []:
            walk(part)

    walk(schemas[name])
    return out - set(LEFT_OUT.get(name, {}))


def _check(obj: dict[str, Any], name: str, problems: list[str]) -> None:
    missing = _fields(name) - set(obj)
    if missing:
        problems.append(f"{name} {obj.get('id', '')} lacks {sorted(missing)}")


def _check_output(items: list[dict[str, Any]], problems: list[str]) -> None:
    for item in items:
        _check(item, KIND_SCHEMAS[item["type"]], problems)
        for part in item.get("content") or []:
            if item["type"] == "message":
                _check(part, KIND_SCHEMAS[part["type"]], problems)
                for note in part["annotations"]:
                    _check(note, KIND_SCHEMAS[note["type"]], problems)


def test_every_object_kind_carries_every_field(client: Any, emulator: Any) -> None:
    emulator.set_brain(
        [
            {"match": {"message": "weather"}, "actions": [{"call": {"name": "get_weather"}}]},
            {
                "match": {"message": "code"},
                "actions": [{"code": f"open('a.png', 'wb').write({PNG!r})"}, {"say": "done"}],
            },
        ]
    )
    file = client.files.create(file=("paper.txt", PAPER.encode()), purpose="assistants")
    store = client.vector_stores.create(file_ids=[file.id])
    problems: list[str] = []
    raw = [
        client.responses.with_raw_response.create(**kwargs).http_response.json()
        for kwargs in (
            {"model": "o4-mini", "input": "hi", "reasoning": {"effort": "low"}},
            {"model": "m", "input": "weather", "tools": [WEATHER]},
            {
                "model": "m",
                "input": "zero-shot transfer",
                "tools": [{"type": "file_search", "vector_store_ids": [store.id]}],
            },
            {
                "model": "m",
                "input": "code",
                "tools": [{"type": "code_interpreter", "container": {"type": "auto"}}],
            },
        )
    ]
    kinds = set()
    for response in raw:
        _check(response, "Response", problems)
        _check_output(response["output"], problems)
        kinds |= {i["type"] for i in response["output"]}
        for part in response["output"][-1].get("content") or []:
            kinds |= {a["type"] for a in part["annotations"]}
    assert kinds == set(KIND_SCHEMAS) - {"output_text"}
    conversation = client.conversations.create(items=[{"role": "user", "content": "x"}])
    _check(conversation.model_dump(), "ConversationResource", problems)
    container_id = raw[3]["output"][0]["container_id"]
    box = client.containers.with_raw_response.retrieve(container_id).http_response.json()
    _check(box, "ContainerResource", problems)
    files = client.containers.files.with_raw_response.list(container_id).http_response.json()
    _check(files["data"][0], "ContainerFileResource", problems)
    assert not problems, "\n".join(problems)


def test_every_event_type_of_the_tools_it_performs(client: Any, emulator: Any) -> None:
    emulator.set_brain(
        [
            {"match": {"message": "fail"}, "actions": [{"fail": {"message": "boom"}}]},
            {"match": {"message": "weather"}, "actions": [{"call": {"name": "get_weather"}}]},
            {"match": {"message": "code"}, "actions": [{"code": "print(1)"}, {"say": "ok"}]},
        ]
    )
    file = client.files.create(file=("paper.txt", PAPER.encode()), purpose="assistants")
    store = client.vector_stores.create(file_ids=[file.id])
    requests = [
        {"input": "weather", "tools": [WEATHER]},
        {
            "input": "zero-shot transfer",
            "tools": [{"type": "file_search", "vector_store_ids": [store.id]}],
        },
        {"input": "code", "tools": [{"type": "code_interpreter", "container": {"type": "auto"}}]},
        {"input": "fail"},
        {"input": "a long one " * 30, "max_output_tokens": 16},
        {"input": "later", "background": True},
    ]
    sent: set[str] = set()
    for body in requests:
        events = list(client.responses.create(model="m", stream=True, **body))
        sent |= {e.type for e in events}
        numbers = [e.sequence_number for e in events]
        assert numbers == list(range(len(numbers)))
        for event in events:
            payload = json.loads(event.model_dump_json())
            if "item_id" in payload and "output_index" in payload:
                final = events[-1].response.output[payload["output_index"]]
                assert final.id == payload["item_id"]
    assert sent == EVENTS_SENT
