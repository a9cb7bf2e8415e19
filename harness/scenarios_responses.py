"""The scenario runner for the Responses API: a scenario played as a ported app plays it.

OpenAI's migration mapping, step by step: the scenario's assistant becomes the settings every
request sends (instructions, tools); a thread becomes a chain of responses linked by
`previous_response_id`; a run becomes the app's own function-call loop (the handlers answer
each `function_call` with a `function_call_output` in the next request); listings need no
request, since each response carries its output. Steps with no counterpart there make the
scenario inexpressible (`obstacle`), which the scenario file must then say (`not_in_responses`).
"""

from __future__ import annotations

import json
from typing import Any

from harness.errors import ScenarioError
from harness.scenarios import Outcome, Scenario, check, load_handler, obstacle


def responses_tools(tools: list[dict[str, Any]], stores: list[str]) -> list[dict[str, Any]]:
    """Assistants tool definitions as a Responses request names them."""
    out: list[dict[str, Any]] = []
    for tool in tools:
        kind = tool.get("type")
        if kind == "function":
            out.append({"type": "function", **tool["function"]})
        elif kind == "code_interpreter":
            out.append({"type": "code_interpreter", "container": {"type": "auto"}})
        elif kind == "file_search":
            out.append({"type": "file_search", "vector_store_ids": list(stores)})
        else:
            out.append(dict(tool))
    return out


class ResponsesScenarioRunner:
    """Plays a scenario through an `openai.OpenAI` client's Responses API."""

    def __init__(self, client: Any, scenario: Scenario) -> None:
        why = obstacle(scenario.steps)
        if why is not None:
            raise ScenarioError(f"{scenario.path}: the Responses API cannot express {why}")
        self.client = client
        self.scenario = scenario
        self.outcome = Outcome()
        self.ids: dict[str, str] = {}
        self.chains: dict[str, str | None] = {}
        """Thread alias -> the last response of its chain."""
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self.tools = list(scenario.assistant.get("tools") or [])
        self.stores: list[str] = []
        self.handlers = {
            name: load_handler(spec, scenario.path)
            for name, spec in (scenario.data.get("tool_handlers") or {}).items()
        }

    def run(self) -> Outcome:
        for step in self.scenario.steps:
            action = next(iter(k for k in step if k != "expect_error"))
            handler = getattr(self, "_" + action, None)
            if handler is not None:
                handler(step[action])
        return self.outcome

    def settings(self) -> dict[str, Any]:
        assistant = self.scenario.assistant
        out: dict[str, Any] = {"model": assistant["model"]}
        if assistant.get("instructions"):
            out["instructions"] = assistant["instructions"]
        tools = responses_tools(self.tools, self.stores)
        if tools:
            out["tools"] = tools
        # A ported app that shows what its code ran reads the outputs the Assistants API
        # put in run steps: the Responses API sends them only when asked.
        if any(tool["type"] == "code_interpreter" for tool in tools):
            out["include"] = ["code_interpreter_call.outputs"]
        return out

    # -- steps

    def _upload_file(self, spec: dict[str, Any]) -> None:
        target = self.scenario.path.parent / spec["path"]
        with target.open("rb") as handle:
            self.ids[spec["as"]] = self.client.files.create(file=handle, purpose="assistants").id

    def _create_vector_store(self, spec: dict[str, Any]) -> None:
        store = self.client.vector_stores.create(name=spec["name"])
        self.ids[spec["as"]] = store.id
        for alias in spec.get("files", []):
            self.client.vector_stores.files.create_and_poll(
                vector_store_id=store.id, file_id=self.ids[alias]
            )

    def _delete_vector_store(self, spec: dict[str, Any]) -> None:
        self.client.vector_stores.delete(self.ids[spec["vector_store"]])

    def _update_assistant(self, spec: dict[str, Any]) -> None:
        if "tools" in spec:
            self.tools = list(spec["tools"])
        if "file_search_stores" in spec:
            self.stores = [self.ids[alias] for alias in spec["file_search_stores"]]

    def _create_thread(self, spec: dict[str, Any]) -> None:
        self.chains[spec["as"]] = None
        self.pending[spec["as"]] = []

    def _message(self, spec: dict[str, Any]) -> None:
        self.pending[spec["thread"]].append({"role": "user", "content": spec["content"]})

    def _run(self, spec: dict[str, Any]) -> None:
        thread = spec["thread"]
        stream = spec.get("mode") == "stream"
        items, self.pending[thread] = self.pending[thread], []
        response = self.create(items, self.chains[thread], stream)
        while spec.get("submit_tools", True):
            calls = [item for item in response.output if item.type == "function_call"]
            if not calls:
                break
            response = self.create(self.dispatch(calls), response.id, stream)
        self.chains[thread] = response.id
        self.ids[spec["as"]] = response.id
        self.outcome.runs[spec["as"]] = _status(response)
        for item in response.output:
            for part in getattr(item, "content", None) or []:
                for annotation in getattr(part, "annotations", None) or []:
                    self.outcome.annotations.append(annotation.type)

    def create(self, items: list[dict[str, Any]], previous: str | None, stream: bool) -> Any:
        options = {**self.settings(), "input": items}
        if previous is not None:
            options["previous_response_id"] = previous
        if not stream:
            return self.client.responses.create(**options)
        events: list[str] = []
        with self.client.responses.stream(**options) as events_stream:
            for event in events_stream:
                events.append(event.type)
            response = events_stream.get_final_response()
        self.outcome.streams.append(events)
        return response

    def dispatch(self, calls: list[Any]) -> list[dict[str, Any]]:
        outputs = []
        for call in calls:
            self.outcome.tools_called.append(call.name)
            handler = self.handlers.get(call.name)
            if handler is None:
                where = f"{self.scenario.path}: /tool_handlers"
                raise ScenarioError(f"{where}: no handler for {call.name!r}")
            result = handler(**json.loads(call.arguments))
            output = result if isinstance(result, str) else json.dumps(result)
            outputs.append(
                {"type": "function_call_output", "call_id": call.call_id, "output": output}
            )
        return outputs


def play_responses(scenario: Scenario, client: Any) -> list[str]:
    """Run `scenario` through the Responses API; what went wrong, one line each."""
    return check(scenario, ResponsesScenarioRunner(client, scenario).run())


def _status(response: Any) -> str:
    """A response's end as the run status the scenario's `expect` names."""
    status = str(response.status)
    if status == "completed" and any(i.type == "function_call" for i in response.output):
        return "requires_action"
    return status
