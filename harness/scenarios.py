"""The runner that plays a scenario through the openai SDK (the files: `harness.scenario_files`).

A scenario (`scenarios/*.yaml`, validated against
`harness/schemas/scenario.schema.json`) describes an assistant, the steps of
a conversation (files, vector stores, threads, messages, runs polled or
streamed, listings), the Python handlers of its function tools, what must
come out, and the emulator brain used when it is recorded. The runner drives
the SDK the way an application does (create, poll or stream, answer tool
calls, list); `check` compares what happened with the scenario's expectations.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.adapters.openai_sdk import sdk_sleep
from harness.api import TERMINAL_RUN_STATUSES
from harness.errors import ScenarioError
from harness.scenario_files import (
    ACTIONS,
    Scenario,
    is_scenario_file,
    load_handler,
    load_scenario,
    obstacle,
)

__all__ = [
    "ACTIONS",
    "Outcome",
    "Scenario",
    "ScenarioRunner",
    "check",
    "is_scenario_file",
    "load_handler",
    "load_scenario",
    "obstacle",
    "play",
]


@dataclass
class Outcome:
    """What happened when a scenario ran."""

    runs: dict[str, str] = field(default_factory=dict)
    tools_called: list[str] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)
    annotations: list[str] = field(default_factory=list)
    streams: list[list[str]] = field(default_factory=list)


class ScenarioRunner:
    """Plays a scenario through an `openai.OpenAI` client."""

    def __init__(self, client: Any, scenario: Scenario) -> None:
        self.client = client
        self.scenario = scenario
        self.ids: dict[str, str] = {}
        self.threads_of_runs: dict[str, str] = {}
        self.outcome = Outcome()
        self.handlers = {
            name: load_handler(spec, scenario.path)
            for name, spec in (scenario.data.get("tool_handlers") or {}).items()
        }

    def run(self) -> Outcome:
        import openai

        assistant = self.client.beta.assistants.create(**self.scenario.assistant)
        self.assistant_id = assistant.id
        for number, step in enumerate(self.scenario.steps):
            action = next(key for key in step if key in ACTIONS)
            expected = step.get("expect_error")
            try:
                getattr(self, "_" + action)(step[action])
            except openai.APIStatusError as exc:
                if exc.status_code != expected:
                    raise
                self.outcome.errors.append(exc.status_code)
            else:
                if expected is not None:
                    where = f"{self.scenario.path}: /steps/{number}"
                    raise AssertionError(f"{where}: expected HTTP {expected}, the call succeeded")
        return self.outcome

    def _id(self, alias: str) -> str:
        try:
            return self.ids[alias]
        except KeyError:
            raise ScenarioError(f"{self.scenario.path}: unknown alias {alias!r}") from None

    def _upload_file(self, spec: dict[str, Any]) -> None:
        target = self.scenario.path.parent / spec["path"]
        with target.open("rb") as handle:
            self.ids[spec["as"]] = self.client.files.create(file=handle, purpose="assistants").id

    def _create_vector_store(self, spec: dict[str, Any]) -> None:
        stores = getattr(self.client, "vector_stores", None) or self.client.beta.vector_stores
        store = stores.create(name=spec["name"])
        self.ids[spec["as"]] = store.id
        for alias in spec.get("files", []):
            added = stores.files.create_and_poll(vector_store_id=store.id, file_id=self._id(alias))
            if added.status != "completed":
                raise AssertionError(f"{self.scenario.path}: file {alias} ended {added.status}")

    def _delete_vector_store(self, spec: dict[str, Any]) -> None:
        stores = getattr(self.client, "vector_stores", None) or self.client.beta.vector_stores
        stores.delete(self._id(spec["vector_store"]))

    def _update_assistant(self, spec: dict[str, Any]) -> None:
        fields: dict[str, Any] = {}
        if "tools" in spec:
            fields["tools"] = spec["tools"]
        resources: dict[str, Any] = {}
        if "file_search_stores" in spec:
            resources["file_search"] = {
                "vector_store_ids": [self._id(a) for a in spec["file_search_stores"]]
            }
        if "code_interpreter_files" in spec:
            resources["code_interpreter"] = {
                "file_ids": [self._id(a) for a in spec["code_interpreter_files"]]
            }
        if resources:
            fields["tool_resources"] = resources
        self.client.beta.assistants.update(self.assistant_id, **fields)

    def _create_thread(self, spec: dict[str, Any]) -> None:
        self.ids[spec["as"]] = self.client.beta.threads.create().id

    def _delete_thread(self, spec: dict[str, Any]) -> None:
        self.client.beta.threads.delete(self._id(spec["thread"]))

    def _retrieve_thread(self, spec: dict[str, Any]) -> None:
        self.client.beta.threads.retrieve(self._id(spec["thread"]))

    def _message(self, spec: dict[str, Any]) -> None:
        message = self.client.beta.threads.messages.create(
            thread_id=self._id(spec["thread"]), role="user", content=spec["content"]
        )
        if "as" in spec:
            self.ids[spec["as"]] = message.id

    def _run(self, spec: dict[str, Any]) -> None:
        thread_id = self._id(spec["thread"])
        mode = spec.get("mode", "poll")
        if mode == "stream":
            run = self._stream(thread_id, spec.get("submit_tools", True))
        else:
            run = self.client.beta.threads.runs.create(
                thread_id=thread_id, assistant_id=self.assistant_id
            )
        self.ids[spec["as"]] = run.id
        self.threads_of_runs[run.id] = thread_id
        self.outcome.runs[spec["as"]] = run.status
        if mode == "poll":
            self._wait({"run": spec["as"], "submit_tools": spec.get("submit_tools", True)})

    def _wait(self, spec: dict[str, Any]) -> None:
        run_id = self._id(spec["run"])
        thread_id = self.threads_of_runs[run_id]
        runs = self.client.beta.threads.runs
        if "until" in spec:
            self.outcome.runs[spec["run"]] = self._poll_until(run_id, thread_id, spec["until"])
            return
        run = runs.poll(run_id, thread_id=thread_id)
        while run.status == "requires_action" and spec.get("submit_tools", True):
            run = runs.submit_tool_outputs_and_poll(
                run_id=run_id, thread_id=thread_id, tool_outputs=self._dispatch(run)
            )
        self.outcome.runs[spec["run"]] = run.status

    def _poll_until(self, run_id: str, thread_id: str, status: str, tries: int = 1000) -> str:
        """Retrieve the run until it reaches `status` (e.g. a run left to expire)."""
        runs = self.client.beta.threads.runs
        for _ in range(tries):
            run = runs.retrieve(run_id, thread_id=thread_id)
            if run.status == status or run.status in TERMINAL_RUN_STATUSES:
                return str(run.status)
            sdk_sleep(runs, 0.02)  # the SDK's own poll wait, which replay skips
        return str(run.status)

    def _cancel(self, spec: dict[str, Any]) -> None:
        run_id = self._id(spec["run"])
        run = self.client.beta.threads.runs.cancel(run_id, thread_id=self.threads_of_runs[run_id])
        self.outcome.runs[spec["run"]] = run.status

    def _stream(self, thread_id: str, submit_tools: bool) -> Any:
        runs = self.client.beta.threads.runs
        events: list[str] = []
        with runs.stream(thread_id=thread_id, assistant_id=self.assistant_id) as stream:
            for event in stream:
                events.append(event.event)
            run = stream.get_final_run()
        while run.status == "requires_action" and submit_tools:
            with runs.submit_tool_outputs_stream(
                thread_id=thread_id, run_id=run.id, tool_outputs=self._dispatch(run)
            ) as stream:
                for event in stream:
                    events.append(event.event)
                run = stream.get_final_run()
        self.outcome.streams.append(events)
        return run

    def _dispatch(self, run: Any) -> list[dict[str, str]]:
        outputs = []
        for call in run.required_action.submit_tool_outputs.tool_calls:
            name = call.function.name
            self.outcome.tools_called.append(name)
            handler = self.handlers.get(name)
            if handler is None:
                raise ScenarioError(
                    f"{self.scenario.path}: /tool_handlers: no handler for {name!r}"
                )
            result = handler(**json.loads(call.function.arguments))
            output = result if isinstance(result, str) else json.dumps(result)
            outputs.append({"tool_call_id": call.id, "output": output})
        return outputs

    def _list_messages(self, spec: dict[str, Any]) -> None:
        page = self.client.beta.threads.messages.list(
            thread_id=self._id(spec["thread"]), **self._listing(spec)
        )
        for message in page.data:
            for part in message.content:
                text = getattr(part, "text", None)
                for annotation in getattr(text, "annotations", None) or []:
                    self.outcome.annotations.append(annotation.type)

    def _list_steps(self, spec: dict[str, Any]) -> None:
        run_id = self._id(spec["run"])
        self.client.beta.threads.runs.steps.list(
            run_id=run_id, thread_id=self.threads_of_runs[run_id], **self._listing(spec)
        )

    def _listing(self, spec: dict[str, Any]) -> dict[str, Any]:
        """order/limit as given; after/before cursors from their aliases."""
        query: dict[str, Any] = {k: spec[k] for k in ("order", "limit") if k in spec}
        for cursor in ("after", "before"):
            if cursor in spec:
                query[cursor] = self._id(spec[cursor])
        return query


def play(scenario: Scenario, client: Any, transcript: Callable[[], Any]) -> list[str]:
    """Run `scenario` through `client`; what went wrong, one line each (empty: nothing).

    Checks the scenario's expectations and, on the transcript `transcript()` gives
    once the conversation is over, the protocol invariants."""
    from harness.invariants import check as check_invariants

    outcome = ScenarioRunner(client, scenario).run()
    problems = check(scenario, outcome)
    problems += [str(v) for v in check_invariants(transcript())]
    return problems


def check(scenario: Scenario, outcome: Outcome) -> list[str]:
    """Differences between the scenario's expectations and the outcome."""
    expect = scenario.expect
    problems = []
    for alias, status in (expect.get("runs") or {}).items():
        got = outcome.runs.get(alias)
        if got != status:
            problems.append(f"run {alias}: expected status {status}, got {got}")
    if "tools_called" in expect and outcome.tools_called != expect["tools_called"]:
        problems.append(
            f"tools called: expected {expect['tools_called']}, got {outcome.tools_called}"
        )
    if "errors" in expect and outcome.errors != expect["errors"]:
        problems.append(f"errors: expected {expect['errors']}, got {outcome.errors}")
    for kind in expect.get("annotations") or []:
        if kind not in outcome.annotations:
            problems.append(
                f"annotations: expected a {kind}, got {sorted(set(outcome.annotations))}"
            )
    return [f"{scenario.path}: {p}" for p in problems]
