"""Argument-mutation replay: put Hypothesis-made arguments into a recorded
`requires_action` and drive the app's own dispatch loop through the rest of
the recorded conversation, so parse, dispatch and submit are fuzzed together.

The cassette is copied with one tool call's `arguments` replaced wherever
the call appears (run bodies, run steps, SSE events; streamed argument
fragments collapse into the first one) and served to the app's own code
through the harness's replay path (`_replay.served`): the client the app is
handed and any `OpenAI()` it builds from the environment alike.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import hypothesis
from hypothesis import strategies as st

from harness import api
from harness.adapters.openai_sdk import quiet_deprecations
from harness.cassette.model import Cassette, Interaction
from harness.cassette.storage import read_cassette
from harness.fuzz._replay import ReplayLog, served
from harness.fuzz._runner import Violation, run_shrinking, settings_for, shown
from harness.fuzz._schema import tool_function, tool_name
from harness.fuzz.invalid import dumps, invalid_arguments
from harness.fuzz.strategies import valid_arguments

App = Callable[[Any], object]
"""The user's code: takes an `openai.OpenAI` client and runs the conversation."""
Which = Literal["valid", "invalid", "both"]


@dataclass(frozen=True)
class PendingCall:
    """A function call a recorded run waited on (`requires_action`)."""

    call_id: str
    name: str
    arguments: str
    run_id: str
    tools: tuple[Mapping[str, Any], ...]
    """The run's function tools as recorded."""


def _runs(value: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(value, list):
        for item in value:
            yield from _runs(item)
    elif isinstance(value, Mapping):
        if value.get("object") == "thread.run":
            yield value
        elif value.get("object") == "list":
            yield from _runs(value.get("data"))


def pending_calls(cassette: Cassette) -> list[PendingCall]:
    """Every function call a run of `cassette` required, first sighting first."""
    found: dict[str, PendingCall] = {}
    for interaction in cassette.interactions:
        response = interaction.response
        values = [response.body, *(e.get("data") for e in response.events or ())]
        for run in _runs(values):
            action = run.get("required_action") or {}
            calls = (action.get("submit_tool_outputs") or {}).get("tool_calls") or []
            tools = tuple(
                t
                for t in run.get("tools") or ()
                if isinstance(t, Mapping) and t.get("type") == "function"
            )
            for call in calls:
                function = call.get("function") or {}
                if call.get("id") and call["id"] not in found:
                    found[call["id"]] = PendingCall(
                        str(call["id"]),
                        str(function.get("name")),
                        str(function.get("arguments")),
                        str(run.get("id")),
                        tools,
                    )
    return list(found.values())


def _rewrite(
    value: Any, call_id: str, arguments: str, fragments: dict[tuple[Any, Any], bool]
) -> Any:
    """`value` with the call's arguments replaced; `fragments` tracks streamed deltas."""
    if isinstance(value, list):
        return [_rewrite(v, call_id, arguments, fragments) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("object") == "thread.run.step.delta":
        step = value.get("id")
        for call in (
            ((value.get("delta") or {}).get("step_details") or {}).get("tool_calls")
        ) or ():
            slot = (step, call.get("index"))
            if call.get("id") == call_id:
                fragments[slot] = True
                call.setdefault("function", {})["arguments"] = arguments
            elif fragments.get(slot) and isinstance(call.get("function"), dict):
                call["function"]["arguments"] = ""  # the whole text went into the first fragment
        return value
    function = value.get("function")
    # an empty text is a streamed step not yet filled in: its deltas carry the new text
    if value.get("id") == call_id and isinstance(function, dict) and function.get("arguments"):
        function["arguments"] = arguments
    for key, item in value.items():
        if isinstance(item, (dict, list)):
            value[key] = _rewrite(item, call_id, arguments, fragments)
    return value


def mutate_arguments(cassette: Cassette, call_id: str, arguments: str) -> Cassette:
    """A copy of `cassette` in which the model sent `arguments` for `call_id`."""
    fragments: dict[tuple[Any, Any], bool] = {}
    interactions = []
    for interaction in cassette.interactions:
        response = interaction.response
        body = _rewrite(copy.deepcopy(response.body), call_id, arguments, fragments)
        events = response.events
        if events is not None:
            events = tuple(
                _rewrite(copy.deepcopy(dict(e)), call_id, arguments, fragments) for e in events
            )
        interactions.append(
            Interaction(
                interaction.request, replace(response, body=body, events=events), interaction.repeat
            )
        )
    return Cassette(meta=dict(cassette.meta), interactions=interactions, format=cassette.format)


@dataclass(frozen=True)
class ReplayResult:
    log: ReplayLog
    raised: Exception | None

    def problem(self, run_id: str) -> str | None:
        """Why the app failed the conversation, or None."""
        if self.log.rejections:
            return f"the API would reject its tool outputs: {self.log.rejections[0]}"
        if self.log.misses:
            return f"it sent a request the conversation does not hold: {self.log.misses[0]}"
        if self.raised is not None:
            return f"it raised {type(self.raised).__name__}: {self.raised}"
        if not any(_submitted_run(r) == run_id for r in self.log.submissions):
            return "it never submitted tool outputs for the run"
        return None


def _submitted_run(request: Any) -> str | None:
    found = api.match(request.method, request.path)
    return found.params.get("run_id") if found is not None else None


def replay(app: App, cassette: Cassette, source: str = "<cassette>") -> ReplayResult:
    """Run `app` against `cassette`, served in process."""
    raised: Exception | None = None
    with served(cassette, source) as (client, log), quiet_deprecations():
        try:
            app(client)
        except Exception as exc:
            raised = exc
    return ReplayResult(log, raised)


def _load(cassette: Cassette | str | Path) -> tuple[str, Cassette]:
    if isinstance(cassette, Cassette):
        return str(cassette.meta.get("name") or "<cassette>"), cassette
    path = Path(cassette)
    return str(path), read_cassette(path)


def _find_tool(call: PendingCall, tools: Iterable[Mapping[str, Any]] | None) -> Mapping[str, Any]:
    candidates = list(tools) if tools is not None else list(call.tools)
    for tool in candidates:
        if tool_name(tool) == call.name:
            return tool_function(tool)
    raise LookupError(
        f"no schema for tool {call.name!r}: pass tools=[...] (the recorded run lists none)"
    )


def assert_dispatch_contract(
    app: App,
    cassette: Cassette | str | Path,
    *,
    tools: Iterable[Mapping[str, Any]] | None = None,
    call_id: str | None = None,
    arguments: Which = "both",
    max_examples: int | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Fuzz the app's whole tool path by replaying `cassette` with other arguments.

    For each example the call `call_id` (default: the first call a run
    required) gets Hypothesis-made arguments: `valid`, `invalid` (schema
    violations and malformed JSON), or `both`. The app must then finish the
    recorded conversation: not raise, send only recorded requests, and
    submit a string output for every required call. The schema comes from
    `tools` or else from the run's own recorded `tools`. A failure raises
    AssertionError with the shrunk arguments text.
    """
    __tracebackhide__ = True
    name, recorded = _load(cassette)
    calls = pending_calls(recorded)
    if not calls:
        raise LookupError(
            f"{name}: no run in this cassette waits for a function call (requires_action)"
        )
    call = next((c for c in calls if c.call_id == call_id), None) if call_id else calls[0]
    if call is None:
        raise LookupError(
            f"{name}: no required call {call_id!r}; recorded: {[c.call_id for c in calls]}"
        )
    tool = _find_tool(call, tools)
    baseline = replay(app, recorded, name).problem(call.run_id)
    if baseline is not None:
        raise AssertionError(
            f"{name}: the app fails on the recorded conversation itself, before any arguments "
            f"were changed, so its setup is at fault, not the arguments: {baseline}"
        )
    strategies: list[st.SearchStrategy[tuple[str, str]]] = []
    if arguments in ("valid", "both"):
        strategies.append(valid_arguments(tool).map(lambda a: (dumps(a), "valid")))
    if arguments in ("invalid", "both"):
        strategies.append(invalid_arguments(tool).map(lambda e: (e.text, f"invalid: {e.reason}")))

    def check(example: tuple[str, str]) -> None:
        text, kind = example
        __tracebackhide__ = True
        result = replay(app, mutate_arguments(recorded, call.call_id, text), name)
        problem = result.problem(call.run_id)
        if problem is not None:
            quoted = shown(json.dumps(text, ensure_ascii=False))
            lines = [
                f"{name}: the app broke when the model called {call.name} ({call.call_id}) "
                "with other arguments (shrunk by Hypothesis)",
                f"  arguments text (as a JSON string): {quoted}",
                f"  arguments were: {kind}",
                f"  the app: {problem}",
            ]
            raise Violation("\n".join(lines)) from result.raised

    run_shrinking(st.one_of(strategies), check, settings_for(settings, max_examples))
