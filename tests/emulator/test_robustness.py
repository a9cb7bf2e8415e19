"""No 5xx for junk: every spec operation gets odd bodies and ids; plus headers and odd options."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import httpx
import pytest

from tests.support.spec import spec

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
HEADERS = {"Authorization": "Bearer sk-test", "OpenAI-Beta": "assistants=v2"}
JUNK = [
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"12",
    b"{}",
    b'{"unknown": 1}',
    b'{"assistant_id": 5, "model": [], "messages": {}, "tool_outputs": "x", "file_id": null}',
    b'{"query": {"deep": [1, {"x": null}]}, "file_ids": [1, 2], "metadata": []}',
    b"\xff\xfe not utf-8",
    b'{"a": ' * 200 + b"1" + b"}" * 200,
]


@pytest.fixture
def ids(client: Any) -> dict[str, str]:
    assistant = client.beta.assistants.create(model="gpt-4o")
    run = client.beta.threads.create_and_run_poll(assistant_id=assistant.id, poll_interval_ms=5)
    message = client.beta.threads.messages.list(thread_id=run.thread_id).data[0]
    step = client.beta.threads.runs.steps.list(thread_id=run.thread_id, run_id=run.id).data[0]
    file = client.files.create(file=("a.txt", b"alpha"), purpose="assistants")
    store = client.vector_stores.create(file_ids=[file.id])
    batch = client.vector_stores.file_batches.create(vector_store_id=store.id, file_ids=[file.id])
    return {
        "assistant_id": assistant.id,
        "thread_id": run.thread_id,
        "run_id": run.id,
        "message_id": message.id,
        "step_id": step.id,
        "file_id": file.id,
        "vector_store_id": store.id,
        "batch_id": batch.id,
    }


def test_junk_never_gives_5xx(emulator: Any, ids: dict[str, str]) -> None:
    with httpx.Client(base_url=emulator.base_url, headers=HEADERS) as http:
        for key in spec()["operations"]:
            method, template = key.split(" ", 1)
            for known in (True, False):
                path = re.sub(
                    r"\{([^}]+)\}",
                    lambda m, known=known: (
                        ids.get(m.group(1), f"{m.group(1)}_x") if known else f"{m.group(1)}_x"
                    ),
                    template,
                )
                bodies = JUNK if method == "POST" else [b""]
                for body in bodies:
                    response = http.request(
                        method,
                        path + "?limit=abc&order=x&include[]=bad",
                        content=body,
                        headers={"Content-Type": "application/json"},
                    )
                    assert response.status_code < 500, (key, body[:40], response.text)
                    if response.status_code >= 400:
                        error = response.json()["error"]
                        assert set(error) == {"message", "type", "param", "code"}
                        assert "\n" not in error["message"]


def test_poll_after_header(client: Any, emulator: Any) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o")
    run = client.beta.threads.create_and_run(assistant_id=assistant.id)
    raw = client.beta.threads.runs.with_raw_response.retrieve(
        run_id=run.id, thread_id=run.thread_id
    )
    assert raw.headers["openai-poll-after-ms"] == str(emulator.backend.options.poll_after_ms)
    assert raw.headers["x-request-id"].startswith("req_")
    done = client.beta.threads.runs.poll(run.id, thread_id=run.thread_id)  # header-driven polling
    assert done.status == "completed"


def test_json_response_formats(client: Any) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}},
        "required": ["answer"],
    }
    assistant = client.beta.assistants.create(
        model="gpt-4o",
        response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": schema}},
    )
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "2+2?"}]},
        poll_interval_ms=5,
    )
    text = client.beta.threads.messages.list(thread_id=run.thread_id).data[0].content[0].text.value
    assert json.loads(text) == {"answer": 0}
    run = client.beta.threads.runs.create_and_poll(
        thread_id=run.thread_id,
        assistant_id=assistant.id,
        response_format={"type": "json_object"},
        poll_interval_ms=5,
    )
    text = client.beta.threads.messages.list(thread_id=run.thread_id).data[0].content[0].text.value
    assert json.loads(text) == {"reply": "You said: 2+2?"}


def test_assistant_with_inline_vector_store(client: Any) -> None:
    file = client.files.create(
        file=("kb.txt", b"The secret word is marmalade."), purpose="assistants"
    )
    assistant = client.beta.assistants.create(
        model="gpt-4o",
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_stores": [{"file_ids": [file.id]}]}},
    )
    (store_id,) = assistant.tool_resources.file_search.vector_store_ids
    assert client.vector_stores.retrieve(store_id).file_counts.total == 1
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "What is the secret word?"}]},
        poll_interval_ms=5,
    )
    text = client.beta.threads.messages.list(thread_id=run.thread_id).data[0].content[0].text.value
    assert "marmalade" in text


def test_reset_ends_open_streams(client: Any, emulator: Any) -> None:
    emulator.set_brain([{"actions": [{"wait": 30}]}])
    assistant = client.beta.assistants.create(model="gpt-4o")
    names: list[str] = []

    def consume() -> None:
        with client.beta.threads.create_and_run_stream(assistant_id=assistant.id) as stream:
            names.extend(event.event for event in stream)

    reader = threading.Thread(target=consume)
    reader.start()
    while "thread.run.in_progress" not in names and reader.is_alive():
        reader.join(0.01)
    emulator.reset()
    reader.join(5)
    assert not reader.is_alive() and names[0] == "thread.created"
