"""Synthetic cassettes shaped like real Assistants v2 traffic, for the transcript tests.

`conversation(seed=..., polls=...)` records the same conversation with different ids,
timestamps and poll counts, as a re-recording would.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from harness.cassette.model import Cassette, Interaction, Request, Response

BETA = {"openai-beta": "assistants=v2"}


class Synth:
    def __init__(self, seed: str = "a", start: int = 1_700_000_000) -> None:
        self.seed = seed
        self.now = start
        self.interactions: list[Interaction] = []
        self.counter = 0

    def id(self, prefix: str) -> str:
        self.counter += 1
        digest = hashlib.sha256(f"{self.seed}{self.counter}".encode()).hexdigest()[:16]
        return f"{prefix}{digest}"

    def tick(self, seconds: int = 1) -> int:
        self.now += seconds
        return self.now

    def add(
        self,
        method: str,
        path: str,
        body: Any = None,
        response: Any = None,
        *,
        status: int = 200,
        query: tuple[tuple[str, str], ...] = (),
        events: list[dict[str, Any]] | None = None,
        repeat: int = 1,
    ) -> None:
        request = Request(method, path, query, dict(BETA), body)
        reply = Response(
            status,
            {"content-type": "text/event-stream" if events else "application/json"},
            None if events is not None else response,
            tuple(events) if events is not None else None,
        )
        self.interactions.append(Interaction(request, reply, repeat))

    def cassette(self) -> Cassette:
        return Cassette(meta={"test": "synthetic"}, interactions=list(self.interactions))

    # -- objects

    def assistant(self, name: str, tools: list[dict[str, Any]]) -> dict[str, Any]:
        obj = {
            "id": self.id("asst_"),
            "object": "assistant",
            "created_at": self.tick(),
            "name": name,
            "model": "gpt-4o",
            "instructions": "You are a personal math tutor.",
            "tools": tools,
            "metadata": {},
        }
        self.add("POST", "/assistants", {"model": "gpt-4o", "name": name, "tools": tools}, obj)
        return obj

    def thread(self) -> dict[str, Any]:
        obj = {
            "id": self.id("thread_"),
            "object": "thread",
            "created_at": self.tick(),
            "metadata": {},
        }
        self.add("POST", "/threads", {}, obj)
        return obj

    def message_obj(
        self,
        thread: str,
        role: str,
        text: str,
        *,
        run: str | None = None,
        assistant: str | None = None,
        status: str = "completed",
        mid: str | None = None,
        created: int | None = None,
        annotations: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        return {
            "id": mid or self.id("msg_"),
            "object": "thread.message",
            "created_at": created if created is not None else self.tick(),
            "thread_id": thread,
            "status": status,
            "role": role,
            "content": [
                {"type": "text", "text": {"value": text, "annotations": annotations or []}}
            ],
            "assistant_id": assistant,
            "run_id": run,
            "attachments": [],
            "metadata": {},
        }

    def user_message(self, thread: str, text: str) -> dict[str, Any]:
        obj = self.message_obj(thread, "user", text)
        self.add("POST", f"/threads/{thread}/messages", {"role": "user", "content": text}, obj)
        return obj

    def run_obj(
        self, thread: str, assistant: str, status: str, rid: str, **extra: Any
    ) -> dict[str, Any]:
        obj = {
            "id": rid,
            "object": "thread.run",
            "created_at": self.now,
            "thread_id": thread,
            "assistant_id": assistant,
            "status": status,
            "required_action": None,
            "last_error": None,
            "model": "gpt-4o",
            "usage": None,
        }
        obj.update(extra)
        return obj

    def step_obj(
        self, thread: str, run: str, sid: str, status: str, details: dict[str, Any], created: int
    ) -> dict[str, Any]:
        return {
            "id": sid,
            "object": "thread.run.step",
            "created_at": created,
            "run_id": run,
            "thread_id": thread,
            "type": details["type"],
            "status": status,
            "step_details": details,
        }

    def create_run(self, thread: str, assistant: str) -> str:
        rid = self.id("run_")
        self.tick()
        self.add(
            "POST",
            f"/threads/{thread}/runs",
            {"assistant_id": assistant, "stream": False},
            self.run_obj(thread, assistant, "queued", rid),
        )
        return rid

    def poll(
        self, thread: str, assistant: str, rid: str, status: str, times: int = 1, **extra: Any
    ) -> None:
        """Polls as the recorder stores them: identical answers folded into `repeat`."""
        if times <= 0:
            return
        self.add(
            "GET",
            f"/threads/{thread}/runs/{rid}",
            None,
            self.run_obj(thread, assistant, status, rid, **extra),
            repeat=times,
        )

    def list_messages(
        self, thread: str, messages: list[dict[str, Any]], query: tuple[tuple[str, str], ...] = ()
    ) -> None:
        body = {
            "object": "list",
            "data": messages,
            "first_id": messages[0]["id"] if messages else None,
            "last_id": messages[-1]["id"] if messages else None,
            "has_more": False,
        }
        self.add("GET", f"/threads/{thread}/messages", None, body, query=query)


USAGE = {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70}


def conversation(
    seed: str = "a", polls: int = 3, start: int = 1_700_000_000, queued_polls: int = 1
) -> Cassette:
    """Math tutor (scenario 1 and 2) and a function call (scenario 6) and a stream (scenario 7)."""
    s = Synth(seed, start)
    asst = s.assistant("Math Tutor", [{"type": "code_interpreter"}])
    thread = s.thread()
    question = s.user_message(thread["id"], "I need to solve `3x + 11 = 14`. Can you help me?")
    run = s.create_run(thread["id"], asst["id"])
    s.poll(thread["id"], asst["id"], run, "queued", queued_polls)
    s.poll(thread["id"], asst["id"], run, "in_progress", polls)
    s.tick(2)
    answer = s.message_obj(
        thread["id"], "assistant", f"Sure! x = 1. (run {run})", run=run, assistant=asst["id"]
    )
    s.poll(thread["id"], asst["id"], run, "completed", usage=USAGE)
    s.list_messages(thread["id"], [answer, question])
    follow = s.user_message(thread["id"], "Could you explain this to me?")
    s.list_messages(thread["id"], [follow], (("order", "asc"), ("after", answer["id"])))

    # scenario 6: function tool, requires_action, submit, complete
    quiz = {
        "type": "function",
        "function": {"name": "display_quiz", "parameters": {"type": "object"}},
    }
    asst2 = s.assistant("Quiz Maker", [quiz])
    thread2 = s.thread()
    s.user_message(thread2["id"], "Make a quiz.")
    run2 = s.create_run(thread2["id"], asst2["id"])
    s.poll(thread2["id"], asst2["id"], run2, "in_progress", polls)
    call_a, call_b = s.id("call_"), s.id("call_")
    args = {
        "title": "Quiz",
        "questions": [{"question_text": "2+2?", "question_type": "FREE_RESPONSE"}],
    }
    action = {
        "type": "submit_tool_outputs",
        "submit_tool_outputs": {
            "tool_calls": [
                {
                    "id": call_a,
                    "type": "function",
                    "function": {"name": "display_quiz", "arguments": json.dumps(args)},
                },
                {
                    "id": call_b,
                    "type": "function",
                    "function": {"name": "display_quiz", "arguments": "{}"},
                },
            ]
        },
    }
    s.poll(thread2["id"], asst2["id"], run2, "requires_action", 1, required_action=action)
    outputs = [
        {"tool_call_id": call_a, "output": '["4"]'},
        {"tool_call_id": call_b, "output": "none"},
    ]
    s.add(
        "POST",
        f"/threads/{thread2['id']}/runs/{run2}/submit_tool_outputs",
        {"tool_outputs": outputs, "stream": False},
        s.run_obj(thread2["id"], asst2["id"], "queued", run2),
    )
    s.poll(thread2["id"], asst2["id"], run2, "in_progress", polls)
    s.tick()
    step_t = s.now
    feedback = s.message_obj(
        thread2["id"], "assistant", "Great job!", run=run2, assistant=asst2["id"]
    )
    s.poll(thread2["id"], asst2["id"], run2, "completed", usage=USAGE)
    step1, step2 = s.id("step_"), s.id("step_")
    tool_details = {
        "type": "tool_calls",
        "tool_calls": [
            {
                "id": call_a,
                "type": "function",
                "function": {
                    "name": "display_quiz",
                    "arguments": json.dumps(args),
                    "output": '["4"]',
                },
            },
            {
                "id": call_b,
                "type": "function",
                "function": {"name": "display_quiz", "arguments": "{}", "output": "none"},
            },
        ],
    }
    steps = [
        s.step_obj(thread2["id"], run2, step1, "completed", tool_details, step_t - 1),
        s.step_obj(
            thread2["id"],
            run2,
            step2,
            "completed",
            {"type": "message_creation", "message_creation": {"message_id": feedback["id"]}},
            step_t,
        ),
    ]
    s.add(
        "GET",
        f"/threads/{thread2['id']}/runs/{run2}/steps",
        None,
        {"object": "list", "data": steps, "first_id": step1, "last_id": step2, "has_more": False},
        query=(("order", "asc"),),
    )
    s.list_messages(thread2["id"], [feedback])

    # scenario 7: a streamed run on thread 1
    stream_run(s, thread["id"], asst["id"], deltas=3)
    return s.cassette()


def stream_run(s: Synth, thread: str, assistant: str, deltas: int) -> None:
    rid, sid = s.id("run_"), s.id("step_")
    s.tick()
    msg = s.message_obj(thread, "assistant", "", run=rid, assistant=assistant, status="in_progress")
    details = {"type": "message_creation", "message_creation": {"message_id": msg["id"]}}

    def run(status: str) -> dict[str, Any]:
        return s.run_obj(thread, assistant, status, rid)

    def step(status: str) -> dict[str, Any]:
        return s.step_obj(thread, rid, sid, status, details, msg["created_at"])

    done_msg = dict(
        msg,
        status="completed",
        content=[{"type": "text", "text": {"value": "Hello there", "annotations": []}}],
    )
    events: list[dict[str, Any]] = [
        {"event": "thread.run.created", "data": run("queued")},
        {"event": "thread.run.queued", "data": run("queued")},
        {"event": "thread.run.in_progress", "data": run("in_progress")},
        {"event": "thread.run.step.created", "data": step("in_progress")},
        {"event": "thread.run.step.in_progress", "data": step("in_progress")},
        {"event": "thread.message.created", "data": msg},
        {"event": "thread.message.in_progress", "data": msg},
    ]
    for n in range(deltas):
        events.append(
            {
                "event": "thread.message.delta",
                "data": {
                    "id": msg["id"],
                    "object": "thread.message.delta",
                    "delta": {
                        "content": [{"index": 0, "type": "text", "text": {"value": f"chunk{n}"}}]
                    },
                },
            }
        )
    events += [
        {"event": "thread.message.completed", "data": done_msg},
        {"event": "thread.run.step.completed", "data": step("completed")},
        {"event": "thread.run.completed", "data": run("completed")},
        {"event": "done", "data": "[DONE]"},
    ]
    s.add(
        "POST",
        f"/threads/{thread}/runs",
        {"assistant_id": assistant, "stream": True},
        events=events,
    )


def replace_interaction(cassette: Cassette, index: int, interaction: Interaction) -> Cassette:
    items = list(cassette.interactions)
    items[index] = interaction
    return Cassette(meta=cassette.meta, interactions=items)


def find(cassette: Cassette, method: str, path_part: str, nth: int = 0) -> int:
    hits = [
        n
        for n, i in enumerate(cassette.interactions)
        if i.request.method == method and path_part in i.request.path
    ]
    return hits[nth]
