"""Objects as the real API sent them (issue 15's table), read from the raw responses the SDK
received: the JSON of REST answers and the events of raw SSE streams."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.emulator.helpers import parse_sse

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

MESSAGE_STREAM_ONLY = {"status", "completed_at", "incomplete_at", "incomplete_details"}
TOKEN_DETAILS = {"prompt_token_details", "completion_tokens_details"}


def raw_json(raw: Any) -> Any:
    return json.loads(raw.text)


def stream_events(call: Any, **kwargs: Any) -> list[tuple[str, Any]]:
    """The SSE events a `with_streaming_response` call received, data parsed."""
    with call(**kwargs, stream=True) as response:
        body = response.read()
    return [(name, data if name == "done" else json.loads(data)) for name, data in parse_sse(body)]


def payloads(events: list[tuple[str, Any]], prefix: str) -> list[Any]:
    return [data for name, data in events if name.startswith(prefix)]


def finish(client: Any, thread_id: str, run: dict[str, Any]) -> Any:
    """Poll a run created through a raw response to its end (the thread takes the next)."""
    done = client.beta.threads.runs.poll(run["id"], thread_id=thread_id, poll_interval_ms=5)
    assert done.status == "completed"
    return done


def test_assistant_and_run_carry_reasoning_effort(client: Any) -> None:
    assistants = client.beta.assistants.with_raw_response
    plain = raw_json(assistants.create(model="gpt-4o"))
    assert "reasoning_effort" in plain and plain["reasoning_effort"] is None
    low = raw_json(assistants.create(model="o3-mini", reasoning_effort="low"))
    assert low["reasoning_effort"] == "low"
    high = raw_json(assistants.update(low["id"], reasoning_effort="high"))
    assert high["reasoning_effort"] == "high"
    assert raw_json(assistants.retrieve(plain["id"]))["reasoning_effort"] is None

    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    runs = client.beta.threads.runs.with_raw_response
    run = raw_json(runs.create(thread_id=thread.id, assistant_id=plain["id"]))
    assert "reasoning_effort" in run and run["reasoning_effort"] is None
    finish(client, thread.id, run)
    run = raw_json(runs.create(thread_id=thread.id, assistant_id=high["id"]))
    assert run["reasoning_effort"] == "high", "a run takes the assistant's"
    finish(client, thread.id, run)
    run = raw_json(
        runs.create(thread_id=thread.id, assistant_id=high["id"], reasoning_effort="minimal")
    )
    assert run["reasoning_effort"] == "minimal", "the request's wins"
    assert finish(client, thread.id, run).reasoning_effort == "minimal"


@pytest.mark.parametrize(
    ("assistant_instructions", "run_fields", "expected"),
    [
        (None, {}, None),
        ("", {}, ""),
        ("Be brief.", {}, "Be brief."),
        (None, {"additional_instructions": "Use metric units."}, "Use metric units."),
        (
            "Be brief.",
            {"additional_instructions": "Use metric units."},
            "Be brief.\nUse metric units.",
        ),
        ("Be brief.", {"instructions": "Be long."}, "Be long."),
        (None, {"instructions": None}, None),
    ],
)
def test_run_instructions(
    client: Any, assistant_instructions: str | None, run_fields: dict[str, Any], expected: Any
) -> None:
    fields = {} if assistant_instructions is None else {"instructions": assistant_instructions}
    assistant = client.beta.assistants.create(model="gpt-4o", **fields)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    raw = client.beta.threads.runs.with_raw_response.create(
        thread_id=thread.id, assistant_id=assistant.id, **run_fields
    )
    run = raw_json(raw)
    assert "instructions" in run and run["instructions"] == expected
    assert finish(client, thread.id, run).instructions == expected


def test_rest_messages_have_no_status_but_streamed_messages_do(client: Any) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create()
    messages = client.beta.threads.messages.with_raw_response
    created = raw_json(messages.create(thread_id=thread.id, role="user", content="hello"))
    events = stream_events(
        client.beta.threads.runs.with_streaming_response.create,
        thread_id=thread.id,
        assistant_id=assistant.id,
    )
    streamed = payloads(events, "thread.message.")
    full = [m for m in streamed if m["object"] == "thread.message"]
    assert [m["status"] for m in full] == ["in_progress", "in_progress", "completed"]
    assert all(set(m) >= MESSAGE_STREAM_ONLY for m in full)
    assert full[-1]["completed_at"] is not None and full[-1]["incomplete_details"] is None
    reply_id = full[-1]["id"]

    listed = raw_json(messages.list(thread_id=thread.id))["data"]
    retrieved = [raw_json(messages.retrieve(m["id"], thread_id=thread.id)) for m in listed]
    assert [m["id"] for m in listed] == [reply_id, created["id"]]
    for shown in [created, *listed, *retrieved]:
        assert not MESSAGE_STREAM_ONLY & set(shown), shown
        assert "attachments" in shown and "file_ids" not in shown
    # the parsed model has nothing to offer either: code reading it would fail on real traffic
    parsed = client.beta.threads.messages.retrieve(reply_id, thread_id=thread.id)
    assert parsed.status is None


def test_modified_message_answers_in_the_legacy_shape(client: Any) -> None:
    upload = client.files.create(file=("notes.txt", b"some notes"), purpose="assistants")
    thread = client.beta.threads.create()
    messages = client.beta.threads.messages.with_raw_response
    created = raw_json(
        messages.create(
            thread_id=thread.id,
            role="user",
            content="see the file",
            attachments=[{"file_id": upload.id, "tools": [{"type": "code_interpreter"}]}],
        )
    )
    modified = raw_json(messages.update(created["id"], thread_id=thread.id, metadata={"k": "v"}))
    assert modified["file_ids"] == [] and "attachments" not in modified
    assert modified["metadata"] == {"k": "v"}
    assert not MESSAGE_STREAM_ONLY & set(modified)
    again = raw_json(messages.retrieve(created["id"], thread_id=thread.id))
    assert again["attachments"] == created["attachments"] != []
    assert "file_ids" not in again and again["metadata"] == {"k": "v"}


def test_run_steps_expires_at_and_usage(client: Any) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    events = stream_events(
        client.beta.threads.runs.with_streaming_response.create,
        thread_id=thread.id,
        assistant_id=assistant.id,
    )
    run_id = payloads(events, "thread.run.created")[0]["id"]
    run_expiry = payloads(events, "thread.run.created")[0]["expires_at"]
    streamed = [s for s in payloads(events, "thread.run.step.") if s["object"] == "thread.run.step"]
    assert len(streamed) == 3  # created, in_progress, completed
    for step in streamed:
        assert isinstance(step["expires_at"], int) and step["expires_at"] == run_expiry
        assert "metadata" not in step and "expired_at" not in step
    assert set(streamed[-1]["usage"]) >= TOKEN_DETAILS

    steps = client.beta.threads.runs.steps.with_raw_response
    listed = raw_json(steps.list(run_id, thread_id=thread.id))["data"]
    retrieved = raw_json(steps.retrieve(listed[0]["id"], thread_id=thread.id, run_id=run_id))
    for step in (*listed, retrieved):
        assert "expires_at" in step and step["expires_at"] is None
        assert "metadata" not in step and "expired_at" not in step
        usage = step["usage"]
        assert usage["prompt_token_details"] == {"cached_tokens": 0}
        assert usage["completion_tokens_details"] == {"reasoning_tokens": 0}
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    run = raw_json(client.beta.threads.runs.with_raw_response.retrieve(run_id, thread_id=thread.id))
    assert set(run["usage"]) == set(listed[0]["usage"])


def test_files_carry_null_expiry_and_status_details(client: Any) -> None:
    files = client.files.with_raw_response
    plain = raw_json(files.create(file=("a.txt", b"alpha"), purpose="assistants"))
    expiring = raw_json(
        files.create(
            file=("b.txt", b"beta"),
            purpose="assistants",
            expires_after={"anchor": "created_at", "seconds": 3600},
        )
    )
    listed = {f["id"]: f for f in raw_json(files.list())["data"]}
    for shown in (plain, raw_json(files.retrieve(plain["id"])), listed[plain["id"]]):
        assert "expires_at" in shown and shown["expires_at"] is None
        assert "status_details" in shown and shown["status_details"] is None
    assert expiring["expires_at"] == expiring["created_at"] + 3600
    assert expiring["status_details"] is None


def test_function_without_parameters_is_echoed_with_an_empty_object_schema(client: Any) -> None:
    tools = [
        {"type": "function", "function": {"name": "ping"}},
        {"type": "function", "function": {"name": "pong", "description": "d", "strict": False}},
        {
            "type": "function",
            "function": {"name": "echo", "parameters": {"type": "object", "required": []}},
        },
    ]
    assistant = raw_json(
        client.beta.assistants.with_raw_response.create(model="gpt-4o", tools=tools)
    )
    empty = {"type": "object", "properties": {}}
    params = [t["function"]["parameters"] for t in assistant["tools"]]
    assert params == [empty, empty, {"type": "object", "required": []}]
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    run = raw_json(
        client.beta.threads.runs.with_raw_response.create(
            thread_id=thread.id,
            assistant_id=assistant["id"],
            tools=[{"type": "function", "function": {"name": "only"}}],
        )
    )
    assert run["tools"][0]["function"]["parameters"] == empty
    finish(client, thread.id, run)


def test_tool_resources_as_each_answer_showed_them(client: Any) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o")
    threads = client.beta.threads.with_raw_response
    created = raw_json(threads.create(messages=[{"role": "user", "content": "hi"}]))
    assert created["tool_resources"] == {}
    empty_code = {"code_interpreter": {"file_ids": []}}
    assert raw_json(threads.retrieve(created["id"]))["tool_resources"] == empty_code
    modified = raw_json(threads.update(created["id"], metadata={"a": "b"}))
    assert modified["tool_resources"] == {}

    rest_run = raw_json(
        client.beta.threads.runs.with_raw_response.create(
            thread_id=created["id"], assistant_id=assistant.id
        )
    )
    assert rest_run["tool_resources"] == {}
    finish(client, created["id"], rest_run)

    events = stream_events(
        client.beta.threads.with_streaming_response.create_and_run,
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "hello"}]},
    )
    assert events[0][0] == "thread.created"
    assert events[0][1]["tool_resources"] == empty_code
    runs = payloads(events, "thread.run.")
    runs = [r for r in runs if r["object"] == "thread.run"]
    assert len(runs) >= 4 and all(r["tool_resources"] == empty_code for r in runs)
    listed = raw_json(
        client.beta.threads.runs.with_raw_response.list(thread_id=events[0][1]["id"])
    )["data"]
    assert [r["tool_resources"] for r in listed] == [{}]


def test_thread_resources_keep_their_own_entries(client: Any) -> None:
    store = client.vector_stores.create(name="docs")
    threads = client.beta.threads.with_raw_response
    created = raw_json(
        threads.create(tool_resources={"file_search": {"vector_store_ids": [store.id]}})
    )
    assert created["tool_resources"] == {"file_search": {"vector_store_ids": [store.id]}}
    assert raw_json(threads.retrieve(created["id"]))["tool_resources"] == {
        "code_interpreter": {"file_ids": []},
        "file_search": {"vector_store_ids": [store.id]},
    }
