"""Failure paths (scenario 8), thread locks, submit_tool_outputs errors and malformed input."""

from __future__ import annotations

import time
from typing import Any

import httpx
import openai
import pytest

from harness.api import failures
from tests.emulator.helpers import QUIZ_FUNCTION

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
HEADERS = {"Authorization": "Bearer sk-test", "OpenAI-Beta": "assistants=v2"}

RULES = [
    {
        "match": {"message": "^please fail"},
        "actions": [{"fail": {"code": "server_error", "message": "Sorry, something went wrong."}}],
    },
    {"match": {"message": "^take your time"}, "actions": [{"wait": 30}, {"say": "done"}]},
    {
        "match": {"message": "^quiz that expires"},
        "expires_in": 0.3,
        "actions": [
            {"call": {"name": "display_quiz", "arguments": {"title": "T", "questions": []}}}
        ],
    },
    {
        "match": {"message": "^two calls"},
        "actions": [
            {
                "call": [
                    {"name": "display_quiz", "arguments": {"title": "A", "questions": []}},
                    {"name": "display_quiz", "arguments": '{"title": "B", "questions": []}'},
                ]
            },
            {"say": "{{output}}"},
        ],
    },
    {"match": {"message": "^slow and expiring"}, "expires_in": 0.2, "actions": [{"wait": 5}]},
    {
        "match": {"message": "^too long"},
        "actions": [{"say": "partial"}, {"incomplete": "max_completion_tokens"}],
    },
]


def poll(
    client: Any, thread_id: str, run_id: str, until: tuple[str, ...], timeout: float = 5.0
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        run = client.beta.threads.runs.retrieve(thread_id=thread_id, run_id=run_id)
        if run.status in until or time.monotonic() > deadline:
            return run
        time.sleep(0.01)


@pytest.fixture
def setup(client: Any, emulator: Any) -> tuple[Any, Any]:
    emulator.set_brain(RULES)
    assistant = client.beta.assistants.create(
        model="gpt-4o", name="Tutor", tools=[{"type": "function", "function": QUIZ_FUNCTION}]
    )
    return client, assistant


def start(client: Any, assistant: Any, text: str) -> tuple[Any, Any]:
    thread = client.beta.threads.create(messages=[{"role": "user", "content": text}])
    return thread, client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)


def test_failed_run_has_last_error(setup: Any) -> None:
    client, assistant = setup
    thread, run = start(client, assistant, "please fail")
    run = client.beta.threads.runs.poll(run.id, thread_id=thread.id, poll_interval_ms=5)
    assert run.status == "failed" and run.failed_at is not None and run.expires_at is None
    assert (
        run.last_error.code == "server_error"
        and run.last_error.message == "Sorry, something went wrong."
    )
    assert run.completed_at is None and run.usage is not None


def test_cancelled_run(setup: Any) -> None:
    client, assistant = setup
    thread, run = start(client, assistant, "take your time")
    poll(client, thread.id, run.id, ("in_progress",))
    cancelling = client.beta.threads.runs.cancel(run_id=run.id, thread_id=thread.id)
    assert cancelling.status == "cancelling"
    run = client.beta.threads.runs.poll(run.id, thread_id=thread.id, poll_interval_ms=5)
    assert run.status == "cancelled" and run.cancelled_at is not None and run.expires_at is None
    with pytest.raises(openai.BadRequestError) as info:
        client.beta.threads.runs.cancel(run_id=run.id, thread_id=thread.id)
    assert info.value.body["message"] == "Cannot cancel run with status 'cancelled'."
    assert [m.role for m in client.beta.threads.messages.list(thread_id=thread.id)] == ["user"]


def test_run_expires_in_requires_action(setup: Any) -> None:
    client, assistant = setup
    thread, run = start(client, assistant, "quiz that expires")
    assert run.expires_at == run.created_at + 1
    run = poll(client, thread.id, run.id, ("requires_action",))
    assert run.status == "requires_action"
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    run = client.beta.threads.runs.poll(
        run.id, thread_id=thread.id, poll_interval_ms=20
    )  # stops at requires_action
    run = poll(client, thread.id, run.id, ("expired",))
    assert run.status == "expired" and run.required_action is None and run.expires_at is not None
    (step,) = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id).data
    assert step.status == "expired" and step.completed_at is None and step.failed_at is None
    with pytest.raises(openai.BadRequestError) as info:
        client.beta.threads.runs.submit_tool_outputs(
            thread_id=thread.id,
            run_id=run.id,
            tool_outputs=[{"tool_call_id": call.id, "output": "x"}],
        )
    assert info.value.body["message"] == 'Runs in status "expired" do not accept tool outputs.'


def test_run_expires_while_in_progress(setup: Any) -> None:
    client, assistant = setup
    thread, run = start(client, assistant, "slow and expiring")
    run = poll(client, thread.id, run.id, ("expired",))
    assert run.status == "expired" and run.started_at is not None and run.usage is not None


def test_cancel_in_requires_action(setup: Any) -> None:
    client, assistant = setup
    thread, run = start(client, assistant, "two calls")
    poll(client, thread.id, run.id, ("requires_action",))
    client.beta.threads.runs.cancel(run_id=run.id, thread_id=thread.id)
    run = client.beta.threads.runs.poll(run.id, thread_id=thread.id, poll_interval_ms=5)
    assert run.status == "cancelled" and run.required_action is None
    (step,) = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id).data
    assert step.status == "cancelled" and step.cancelled_at is not None


def test_deleting_a_thread_mid_run(setup: Any) -> None:
    client, assistant = setup
    thread, run = start(client, assistant, "take your time")
    client.beta.threads.delete(thread.id)
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.runs.retrieve(run_id=run.id, thread_id=thread.id)


def test_404_on_deleted_thread(client: Any) -> None:
    thread = client.beta.threads.create()
    deleted = client.beta.threads.delete(thread.id)
    assert deleted.deleted and deleted.object == "thread.deleted"
    with pytest.raises(openai.NotFoundError) as info:
        client.beta.threads.retrieve(thread.id)
    assert info.value.body == {
        "message": f"No thread found with id '{thread.id}'.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.messages.list(thread_id=thread.id)
    with pytest.raises(openai.NotFoundError) as info:
        client.beta.assistants.retrieve("asst_missing")
    assert info.value.body["message"] == "No assistant found with id 'asst_missing'."


def test_thread_lock(setup: Any) -> None:
    client, assistant = setup
    thread, run = start(client, assistant, "take your time")
    with pytest.raises(openai.BadRequestError) as info:
        client.beta.threads.messages.create(thread_id=thread.id, role="user", content="more")
    assert (
        info.value.body["message"]
        == f"Can't add messages to {thread.id} while a run {run.id} is active."
    )
    with pytest.raises(openai.BadRequestError) as info:
        client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    assert info.value.body["message"] == f"Thread {thread.id} already has an active run {run.id}."
    client.beta.threads.runs.cancel(run_id=run.id, thread_id=thread.id)
    client.beta.threads.runs.poll(run.id, thread_id=thread.id, poll_interval_ms=5)
    client.beta.threads.messages.create(thread_id=thread.id, role="user", content="unlocked")


def test_submit_tool_outputs_errors(setup: Any) -> None:
    client, assistant = setup
    thread, run = start(client, assistant, "two calls")
    run = poll(client, thread.id, run.id, ("requires_action",))
    a, b = (c.id for c in run.required_action.submit_tool_outputs.tool_calls)
    submit = client.beta.threads.runs.submit_tool_outputs
    with pytest.raises(openai.BadRequestError) as info:
        submit(
            thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": a, "output": "1"}]
        )
    assert (
        info.value.body["message"] == f"Expected tool outputs for call_ids {[a, b]!r}, got {[a]!r}"
    )
    with pytest.raises(openai.BadRequestError) as info:
        submit(
            thread_id=thread.id,
            run_id=run.id,
            tool_outputs=[{"tool_call_id": a, "output": "1"}, {"tool_call_id": a, "output": "2"}],
        )
    assert info.value.body["message"] == f"Duplicate call_ids submitted: {[a]!r}"
    with pytest.raises(openai.BadRequestError) as info:
        submit(
            thread_id=thread.id,
            run_id=run.id,
            tool_outputs=[{"tool_call_id": a, "output": 1}, {"tool_call_id": b, "output": "2"}],
        )
    assert info.value.body["message"] == (
        "Invalid type for 'tool_outputs[0].output': expected a string, but got an integer instead."
    )
    assert info.value.body["param"] == "tool_outputs[0].output"
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=thread.id,
        run_id=run.id,
        tool_outputs=[
            {"tool_call_id": b, "output": "second"},
            {"tool_call_id": a, "output": "first"},
        ],
        poll_interval_ms=5,
    )
    assert run.status == "completed"
    reply = client.beta.threads.messages.list(thread_id=thread.id).data[0]
    assert reply.content[0].text.value == "first\nsecond"
    with pytest.raises(openai.BadRequestError) as info:
        submit(
            thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": a, "output": "1"}]
        )
    assert info.value.body["message"] == 'Runs in status "completed" do not accept tool outputs.'


def test_incomplete_run(setup: Any) -> None:
    client, assistant = setup
    thread, run = start(client, assistant, "too long")
    run = client.beta.threads.runs.poll(run.id, thread_id=thread.id, poll_interval_ms=5)
    assert run.status == "incomplete" and run.incomplete_details.reason == "max_completion_tokens"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        (
            "POST",
            "/assistants",
            b"{not json",
            400,
            "We could not parse the JSON body of your request.",
        ),
        (
            "POST",
            "/assistants",
            b'{"model": "gpt-4o", "colour": 1}',
            400,
            "Unrecognized request argument supplied: colour",
        ),
        (
            "POST",
            "/assistants",
            b'{"model": "gpt-4o", "name": 5}',
            400,
            "Invalid type for 'name': expected a string, but got an integer instead.",
        ),
        ("POST", "/assistants", b'{"name": "x"}', 400, "Missing required parameter: 'model'."),
        (
            "POST",
            "/assistants",
            b"[1, 2]",
            400,
            "Invalid type for request body: expected an object",
        ),
        (
            "POST",
            "/assistants",
            b'{"model": "m", "tools": [{"type": "browser"}]}',
            400,
            "Invalid value",
        ),
        (
            "POST",
            "/assistants",
            b'{"model": "m", "metadata": {"k": 5}}',
            400,
            "Invalid type for 'metadata.k': expected a string, but got an integer instead.",
        ),
        (
            "POST",
            "/assistants",
            b'{"model": "m", "temperature": 3}',
            400,
            "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 instead.",
        ),
        (
            "POST",
            "/threads",
            b'{"messages": [{"role": "robot", "content": "x"}]}',
            400,
            "Invalid value: 'robot'. Supported values are: 'user' and 'assistant'.",
        ),
        (
            "POST",
            "/threads",
            b'{"metadata": {' + b", ".join(b'"k%d": "v"' % i for i in range(17)) + b"}}",
            400,
            "Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got 17 instead.",
        ),
        (
            "POST",
            "/threads",
            b'{"messages": [{"role": "user", "content": "' + b"x" * 256_001 + b'"}]}',
            400,
            "Invalid 'messages[0]': string too long. Expected a string with maximum length 256000",
        ),
        (
            "GET",
            "/assistants?limit=101",
            b"",
            400,
            "Invalid 'limit': integer above maximum value. Expected a value <= 100, but got 101 instead.",
        ),
        ("GET", "/assistants?limit=0", b"", 400, "Invalid 'limit': integer below minimum value."),
        ("GET", "/assistants?limit=ten", b"", 400, "Invalid type for 'limit': expected an integer"),
        (
            "GET",
            "/assistants?order=sideways",
            b"",
            400,
            "Invalid value: 'sideways'. Supported values are: 'asc' and 'desc'.",
        ),
        ("GET", "/nothing/here", b"", 404, "Invalid URL (GET /v1/nothing/here)"),
        ("PUT", "/assistants", b"", 404, "Invalid URL (PUT /v1/assistants)"),
        (
            "GET",
            "/threads/thread_nope/runs/run_nope",
            b"",
            404,
            "No thread found with id 'thread_nope'.",
        ),
        ("GET", "/files/file-nope", b"", 404, "No such File object: file-nope"),
        ("GET", "/vector_stores/vs_nope", b"", 404, "No vector store found with id 'vs_nope'."),
    ],
)
def test_malformed_requests_get_api_errors(
    emulator: Any, method: str, path: str, body: bytes, status: int, message: str
) -> None:
    response = httpx.request(
        method,
        emulator.base_url + path,
        content=body,
        headers={**HEADERS, "Content-Type": "application/json"},
    )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["message"].startswith(message), error["message"]


def test_missing_key_and_beta_header(emulator: Any) -> None:
    response = httpx.get(emulator.base_url + "/assistants")
    assert (
        response.status_code == 401
        and "You didn't provide an API key" in response.json()["error"]["message"]
    )
    response = httpx.get(emulator.base_url + "/assistants", headers={"Authorization": "Bearer x"})
    assert response.status_code == 400 and "OpenAI-Beta" in response.json()["error"]["message"]


def test_oversized_body(emulator: Any) -> None:
    size = emulator.backend.options.max_body_bytes + 1
    response = httpx.post(
        emulator.base_url + "/threads",
        content=b" " * size,
        headers={**HEADERS, "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and "too large" in response.json()["error"]["message"]


def test_a_failure_rule_without_a_message_gets_the_apis_words_for_its_code(
    client: Any, emulator: Any
) -> None:
    # the same words a fault overlay's failed:rate_limit_exceeded gives (harness.api.failures)
    emulator.set_brain([{"actions": [{"fail": {"code": "rate_limit_exceeded"}}]}])
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread, run = start(client, assistant, "hello")
    run = client.beta.threads.runs.poll(run.id, thread_id=thread.id, poll_interval_ms=5)
    assert run.status == "failed" and run.last_error.code == "rate_limit_exceeded"
    assert run.last_error.message == failures.FAILURE_MESSAGES["rate_limit_exceeded"]
