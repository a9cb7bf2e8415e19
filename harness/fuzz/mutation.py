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

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import hypothesis
from hypothesis import strategies as st

from harness import api
from harness.adapters.openai_sdk import quiet_deprecations
from harness.cassette import calls
from harness.cassette.model import Cassette
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
    """A function call a recorded run waited on (`requires_action`), or one a finished
    response asked the app to answer."""

    call_id: str
    name: str
    arguments: str
    run_id: str
    """The run (or response) that made it."""
    tools: tuple[Mapping[str, Any], ...]
    """The run's (or response's) function tools as recorded."""
    api: str = "assistants"
    """`responses` when a response asked for it (the app answers with a
    `function_call_output` item)."""

    def problem_in(self, result: ReplayResult) -> str | None:
        return result.problem(self.run_id, self.call_id if self.api == "responses" else None)


def pending_calls(cassette: Cassette) -> list[PendingCall]:
    """Every function call a run (or response) of `cassette` waited on, first sighting
    first."""
    return [
        PendingCall(call.call_id, call.name, call.arguments, call.owner, call.tools, call.api)
        for call in calls.pending_calls(cassette)
    ]


def mutate_arguments(cassette: Cassette, call_id: str, arguments: str) -> Cassette:
    """A copy of `cassette` in which the model sent `arguments` for `call_id`."""
    return calls.with_arguments(cassette, call_id, arguments)


@dataclass(frozen=True)
class ReplayResult:
    log: ReplayLog
    raised: Exception | None

    def problem(self, run_id: str, call_id: str | None = None) -> str | None:
        """Why the app failed the conversation, or None (it must answer `call_id`, or any call
        of the run `run_id`)."""
        if self.log.rejections:
            return f"the API would reject its tool outputs: {self.log.rejections[0]}"
        if self.log.misses:
            return f"it sent a request the conversation does not hold: {self.log.misses[0]}"
        if self.raised is not None:
            return f"it raised {type(self.raised).__name__}: {self.raised}"
        if call_id is not None:
            if not any(call_id in calls.answered_call_ids(r) for r in self.log.submissions):
                return f"it never answered the call {call_id}"
        elif not any(_submitted_run(r) == run_id for r in self.log.submissions):
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
    baseline = call.problem_in(replay(app, recorded, name))
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
        problem = call.problem_in(result)
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
