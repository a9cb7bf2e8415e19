"""Apps like the seed scenarios' (the same requests as `ScenarioRunner`, so they replay the
committed seed cassettes), written to survive the faults an Assistants app meets: they retry
a run that did not complete, answer bad tool arguments with an error output, and poll a run
whose stream was cut short."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.scenarios import load_scenario
from scenarios.handlers import display_quiz

ROOT = Path(__file__).resolve().parents[2]
QUIZ = load_scenario(ROOT / "scenarios" / "function_quiz.yaml")
STREAMED_QUIZ = load_scenario(ROOT / "scenarios" / "streaming_quiz.yaml")
TUTOR = load_scenario(ROOT / "scenarios" / "math_tutor.yaml")
STOP = ("requires_action", "cancelled", "failed", "completed", "expired", "incomplete")


@dataclass
class Outcome:
    statuses: list[str] = field(default_factory=list)
    """How each run the app started ended."""
    errors: list[Any] = field(default_factory=list)
    """last_error codes / incomplete reasons of the runs that did not complete."""
    messages: list[str] = field(default_factory=list)
    """The thread's messages at the end, oldest first."""


def _ask(scenario: Any) -> str:
    return next(s["message"]["content"] for s in scenario.steps if "message" in s)


def answer(call: Any) -> str:
    """The quiz handler's output, or an error output the model can read."""
    try:
        return json.dumps(display_quiz(**json.loads(call.function.arguments)))
    except (ValueError, TypeError) as exc:
        return json.dumps({"error": f"bad arguments: {exc}"})


def _ended(outcome: Outcome, run: Any) -> None:
    outcome.statuses.append(run.status)
    if run.last_error is not None:
        outcome.errors.append(run.last_error.code)
    if run.incomplete_details is not None:
        outcome.errors.append(run.incomplete_details.reason)


def _texts(client: Any, thread_id: str, order: str | None) -> list[str]:
    listed = client.beta.threads.messages.list(
        thread_id=thread_id, **({"order": order} if order else {})
    )
    texts = [m.content[0].text.value for m in listed.data]
    return texts if order == "asc" else texts[::-1]


def quiz(client: Any, attempts: int = 2) -> Outcome:
    """The function-quiz app: poll the run, answer its tool calls, retry once if it fails."""
    runs, outcome = client.beta.threads.runs, Outcome()
    assistant = client.beta.assistants.create(**QUIZ.assistant)
    thread = client.beta.threads.create()
    client.beta.threads.messages.create(thread_id=thread.id, role="user", content=_ask(QUIZ))
    for _ in range(attempts):
        run = runs.create(thread_id=thread.id, assistant_id=assistant.id)
        run = runs.poll(run.id, thread_id=thread.id)
        while run.status == "requires_action":
            calls = run.required_action.submit_tool_outputs.tool_calls
            outputs = [{"tool_call_id": c.id, "output": answer(c)} for c in calls]
            run = runs.submit_tool_outputs_and_poll(
                run_id=run.id, thread_id=thread.id, tool_outputs=outputs
            )
        _ended(outcome, run)
        if run.status == "completed":
            break
    outcome.messages = _texts(client, thread.id, "asc")
    return outcome


def _follow(manager: Any, runs: Any, thread_id: str) -> Any:
    """Read a stream to its end; a run it left unfinished (the stream was cut) is polled."""
    with manager as stream:
        for _ in stream:
            pass
        run = stream.get_final_run()
    if run.status not in STOP:
        run = runs.poll(run.id, thread_id=thread_id)
    return run


def streamed_quiz(client: Any) -> Outcome:
    """The streaming quiz app: stream the run and the tool outputs' continuation."""
    runs, outcome = client.beta.threads.runs, Outcome()
    assistant = client.beta.assistants.create(**STREAMED_QUIZ.assistant)
    thread = client.beta.threads.create()
    client.beta.threads.messages.create(
        thread_id=thread.id, role="user", content=_ask(STREAMED_QUIZ)
    )
    run = _follow(runs.stream(thread_id=thread.id, assistant_id=assistant.id), runs, thread.id)
    while run.status == "requires_action":
        calls = run.required_action.submit_tool_outputs.tool_calls
        outputs = [{"tool_call_id": c.id, "output": answer(c)} for c in calls]
        run = _follow(
            runs.submit_tool_outputs_stream(
                thread_id=thread.id, run_id=run.id, tool_outputs=outputs
            ),
            runs,
            thread.id,
        )
    _ended(outcome, run)
    outcome.messages = _texts(client, thread.id, "asc")
    return outcome


def tutor(client: Any, attempts: int = 3) -> Outcome:
    """The math tutor: a run that fails, expires, is cancelled or ends incomplete is tried
    again on the same thread."""
    runs, outcome = client.beta.threads.runs, Outcome()
    assistant = client.beta.assistants.create(**TUTOR.assistant)
    thread = client.beta.threads.create()
    client.beta.threads.messages.create(thread_id=thread.id, role="user", content=_ask(TUTOR))
    for _ in range(attempts):
        run = runs.create(thread_id=thread.id, assistant_id=assistant.id)
        run = runs.poll(run.id, thread_id=thread.id)
        _ended(outcome, run)
        if run.status == "completed":
            break
    outcome.messages = _texts(client, thread.id, None)
    return outcome
