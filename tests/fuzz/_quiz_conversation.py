"""The seed's display_quiz conversation as synthetic cassettes, polling and streaming.

The cassettes are "recorded" by running the app against a scripted in-memory
server, so their requests are exactly what the installed openai SDK sends.
"""

from __future__ import annotations

import importlib
import json
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

import openai

from harness.cassette.model import Cassette, Interaction, Request, Response
from harness.cassette.wire import request_from_http
from tests.fuzz._fuzz_data import DISPLAY_QUIZ, display_quiz

RECORDED_ARGUMENTS = json.dumps(
    {
        "title": "Math Quiz",
        "questions": [
            {
                "question_text": "What is the derivative of f(x) = 3x^2 + 2x - 5?",
                "question_type": "FREE_RESPONSE",
            },
            {
                "question_text": "What is the value of \\( \\int_{0}^{1} 2x \\, dx \\)?",
                "question_type": "MULTIPLE_CHOICE",
                "choices": ["0", "1", "2", "3"],
            },
        ],
    },
    separators=(",", ":"),
)
CALL_ID = "call_uvJEn0fxM4sgmzek8wahBGLi"
THREAD, RUN, ASSISTANT = "thread_8bK2", "run_ekMR", "asst_qvXm"
PROMPT = "Make a quiz with 2 questions: One open ended, one multiple choice."
TOOLS = [{"type": "function", "function": DISPLAY_QUIZ}]
JSON = {"content-type": "application/json"}
SSE = {"content-type": "text/event-stream"}


def run(status: str, *, action: bool = False) -> dict[str, Any]:
    return {
        "id": RUN,
        "object": "thread.run",
        "created_at": 1736341020,
        "assistant_id": ASSISTANT,
        "thread_id": THREAD,
        "status": status,
        "model": "gpt-4o",
        "instructions": "",
        "tools": TOOLS,
        "metadata": {},
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "response_format": "auto",
        "truncation_strategy": {"type": "auto", "last_messages": None},
        "required_action": {
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {
                "tool_calls": [
                    {
                        "id": CALL_ID,
                        "type": "function",
                        "function": {"name": "display_quiz", "arguments": RECORDED_ARGUMENTS},
                    }
                ]
            },
        }
        if action
        else None,
    }


def step(status: str, arguments: str, output: str | None = None) -> dict[str, Any]:
    return {
        "id": "step_1",
        "object": "thread.run.step",
        "created_at": 1736341021,
        "run_id": RUN,
        "assistant_id": ASSISTANT,
        "thread_id": THREAD,
        "type": "tool_calls",
        "status": status,
        "step_details": {
            "type": "tool_calls",
            "tool_calls": [
                {
                    "id": CALL_ID,
                    "type": "function",
                    "function": {"name": "display_quiz", "arguments": arguments, "output": output},
                }
            ],
        },
    }


def delta(fragment: str, *, first: bool) -> dict[str, Any]:
    call: dict[str, Any] = {"index": 0, "type": "function", "function": {"arguments": fragment}}
    if first:
        call.update(id=CALL_ID)
        call["function"].update(name="display_quiz", output=None)
    return {
        "id": "step_1",
        "object": "thread.run.step.delta",
        "delta": {"step_details": {"type": "tool_calls", "tool_calls": [call]}},
    }


def message(text: str) -> dict[str, Any]:
    return {
        "id": "msg_1",
        "object": "thread.message",
        "created_at": 1736341030,
        "thread_id": THREAD,
        "role": "assistant",
        "status": "completed",
        "assistant_id": ASSISTANT,
        "run_id": RUN,
        "attachments": [],
        "metadata": {},
        "content": [{"type": "text", "text": {"value": text, "annotations": []}}],
    }


FEEDBACK = "Nice try on the derivative; the integral is 1."


def polling_script() -> list[tuple[str, str, Response]]:
    return [
        ("POST", "/threads/runs", Response(200, JSON, run("queued"))),
        ("GET", f"/threads/{THREAD}/runs/{RUN}", Response(200, JSON, run("in_progress"))),
        (
            "GET",
            f"/threads/{THREAD}/runs/{RUN}",
            Response(200, JSON, run("requires_action", action=True)),
        ),
        (
            "POST",
            f"/threads/{THREAD}/runs/{RUN}/submit_tool_outputs",
            Response(200, JSON, run("queued")),
        ),
        ("GET", f"/threads/{THREAD}/runs/{RUN}", Response(200, JSON, run("completed"))),
        (
            "GET",
            f"/threads/{THREAD}/messages",
            Response(
                200,
                JSON,
                {
                    "object": "list",
                    "data": [message(FEEDBACK)],
                    "first_id": "msg_1",
                    "last_id": "msg_1",
                    "has_more": False,
                },
            ),
        ),
    ]


def streaming_script() -> list[tuple[str, str, Response]]:
    half = len(RECORDED_ARGUMENTS) // 2
    first = [
        {"event": "thread.run.created", "data": run("queued")},
        {"event": "thread.run.in_progress", "data": run("in_progress")},
        {"event": "thread.run.step.created", "data": step("in_progress", "")},
        {"event": "thread.run.step.delta", "data": delta(RECORDED_ARGUMENTS[:half], first=True)},
        {"event": "thread.run.step.delta", "data": delta(RECORDED_ARGUMENTS[half:], first=False)},
        {"event": "thread.run.requires_action", "data": run("requires_action", action=True)},
        {"event": "done", "data": "[DONE]"},
    ]
    second = [
        {"event": "thread.run.queued", "data": run("queued")},
        {"event": "thread.run.in_progress", "data": run("in_progress")},
        {
            "event": "thread.run.step.completed",
            "data": step("completed", RECORDED_ARGUMENTS, "[...]"),
        },
        {"event": "thread.message.created", "data": message("")},
        {"event": "thread.message.completed", "data": message(FEEDBACK)},
        {"event": "thread.run.completed", "data": run("completed")},
        {"event": "done", "data": "[DONE]"},
    ]
    return [
        ("POST", "/threads/runs", Response(200, SSE, events=tuple(first))),
        (
            "POST",
            f"/threads/{THREAD}/runs/{RUN}/submit_tool_outputs",
            Response(200, SSE, events=tuple(second)),
        ),
    ]


# ---- the app under test: the seed's dispatch loop --------------------------------------

Handler = Callable[..., Any]


def dispatch(tool_calls: Any, handlers: dict[str, Handler]) -> list[dict[str, str]]:
    outputs = []
    for call in tool_calls:
        try:
            arguments = json.loads(call.function.arguments)
            output = json.dumps(handlers[call.function.name](**arguments))
        except Exception as exc:  # the model's mistake goes back to the model
            output = json.dumps({"error": f"{type(exc).__name__}: {exc}"})
        outputs.append({"tool_call_id": call.id, "output": output})
    return outputs


def polling_app(handlers: dict[str, Handler] | None = None) -> Callable[[openai.OpenAI], str]:
    handlers = handlers or {"display_quiz": display_quiz}

    def app(client: openai.OpenAI) -> str:
        thread = {"messages": [{"role": "user", "content": PROMPT}]}
        current = client.beta.threads.create_and_run(assistant_id=ASSISTANT, thread=thread)
        while current.status in ("queued", "in_progress", "requires_action"):
            if current.status == "requires_action":
                outputs = dispatch(current.required_action.submit_tool_outputs.tool_calls, handlers)
                current = client.beta.threads.runs.submit_tool_outputs(
                    run_id=current.id, thread_id=current.thread_id, tool_outputs=outputs
                )
                continue
            current = client.beta.threads.runs.retrieve(current.id, thread_id=current.thread_id)
        messages = client.beta.threads.messages.list(thread_id=current.thread_id)
        return messages.data[0].content[0].text.value

    return app


def streaming_app(handlers: dict[str, Handler] | None = None) -> Callable[[openai.OpenAI], str]:
    handlers = handlers or {"display_quiz": display_quiz}

    def app(client: openai.OpenAI) -> str:
        thread = {"messages": [{"role": "user", "content": PROMPT}]}
        with client.beta.threads.create_and_run_stream(
            assistant_id=ASSISTANT, thread=thread
        ) as stream:
            for event in stream:
                if event.event == "thread.run.requires_action":
                    pending = event.data
        outputs = dispatch(pending.required_action.submit_tool_outputs.tool_calls, handlers)
        with client.beta.threads.runs.submit_tool_outputs_stream(
            run_id=pending.id, thread_id=pending.thread_id, tool_outputs=outputs
        ) as stream:
            stream.until_done()
            return "".join(m.content[0].text.value for m in stream.get_final_messages())

    return app


# ---- "recording" against the script ----------------------------------------------------


def record(
    app: Callable[[openai.OpenAI], Any], script: list[tuple[str, str, Response]]
) -> Cassette:
    """Run `app` against scripted responses and keep what it sent as a cassette."""
    http = importlib.import_module(
        "httpx2" if int(openai.__version__.split(".")[0]) >= 3 else "httpx"
    )
    from harness.cassette.wire import response_to_http

    queues: dict[tuple[str, str], deque[Response]] = defaultdict(deque)
    for method, path, response in script:
        queues[(method, path)].append(response)
    interactions: list[Interaction] = []

    def handler(request: Any) -> Any:
        sent: Request = request_from_http(
            request.method, str(request.url), request.headers, request.read(), "/v1"
        )
        response = queues[(sent.method, sent.path)].popleft()
        interactions.append(Interaction(sent, response))
        headers, content = response_to_http(response)
        return http.Response(response.status, headers=headers, content=content)

    client = openai.OpenAI(
        api_key="sk-test",
        base_url="https://api.openai.test/v1",
        max_retries=0,
        http_client=http.Client(transport=http.MockTransport(handler)),
    )
    app(client)
    leftover = [key for key, queue in queues.items() if queue]
    assert not leftover, f"the app did not use the whole script: {leftover}"
    return Cassette(meta={"name": "display_quiz.yaml"}, interactions=interactions)
