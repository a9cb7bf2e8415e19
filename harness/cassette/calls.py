"""The function calls a cassette recorded, read and rewritten in one place, for both APIs.

Assistants: a run's `required_action.submit_tool_outputs.tool_calls` and its steps'
`step_details.tool_calls` (`{"id", "function": {"name", "arguments"}}`), also inside SSE
events, with `thread.run.step.delta` fragments. Responses: `function_call` output items
(`{"call_id", "name", "arguments"}`) in responses, item lists and `response.*` events, with
`response.function_call_arguments.delta` fragments. The app answers a call with
`submit_tool_outputs` (`tool_outputs[].tool_call_id`) or with a `function_call_output` input
item (`call_id`) in its next response request. Drift, mutation replay and fault overlays read
calls through here.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from harness.api import deviations
from harness.cassette.model import Cassette, Interaction, Request


class _Seen(NamedTuple):
    call_id: str
    name: str
    arguments: str
    owner: str
    waited: bool
    tools: tuple[Mapping[str, Any], ...]
    api: str


_FRAGMENTS = frozenset({"thread.run.step.delta", "response.function_call_arguments.delta"})


@dataclass(frozen=True)
class FunctionCall:
    """One function call as a cassette recorded it."""

    call_id: str
    name: str
    arguments: str
    owner: str
    """The run or response that made it."""
    tools: tuple[Mapping[str, Any], ...]
    """Its run's or response's function tools as recorded (either API's shape)."""
    where: str
    """Where in the cassette, e.g. `interaction 4 response body`."""
    waited: bool
    """Whether its run or response ended waiting for the app's answer (`requires_action`, or
    a finished response that asked for it)."""
    api: str = "assistants"
    """`assistants` (a run's tool call) or `responses` (a `function_call` item)."""


def _function_tools(unit: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    return tuple(
        t for t in unit.get("tools") or () if isinstance(t, Mapping) and t.get("type") == "function"
    )


def _text(arguments: Any) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


def required_tool_calls(run: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The tool calls an Assistants run object waits on the app to answer (any tool type)."""
    action = run.get("required_action")
    found = action.get("submit_tool_outputs") if isinstance(action, Mapping) else None
    tool_calls = found.get("tool_calls") if isinstance(found, Mapping) else None
    return _mappings(tool_calls)


def step_tool_calls(step: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The tool calls an Assistants run step object shows (any tool type)."""
    details = step.get("step_details")
    return _mappings(details.get("tool_calls") if isinstance(details, Mapping) else None)


def _mappings(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _assistants_calls(
    tool_calls: list[Mapping[str, Any]], owner: Mapping[str, Any], waited: bool
) -> Iterator[_Seen]:
    for call in tool_calls:
        function = call.get("function")
        if isinstance(function, Mapping) and call.get("type", "function") == "function":
            yield _Seen(
                str(call.get("id", "?")),
                str(function.get("name", "?")),
                _text(function.get("arguments")),
                str(owner.get("run_id") or owner.get("id")),
                waited,
                _function_tools(owner),
                "assistants",
            )


def _calls_in(value: Any, owner: Mapping[str, Any] | None = None) -> Iterator[_Seen]:
    """(call id, name, arguments, owner id, waited, tools) of every whole function call inside
    `value`, however nested."""
    if isinstance(value, list):
        for item in value:
            yield from _calls_in(item, owner)
        return
    if not isinstance(value, Mapping):
        return
    kind = deviations.kind(value)
    if kind == "thread.run":
        yield from _assistants_calls(required_tool_calls(value), value, True)
    elif kind == "thread.run.step":
        for call in _assistants_calls(step_tool_calls(value), value, False):
            # a step just created while streaming holds no arguments yet
            if not (value.get("status") == "in_progress" and call.arguments == ""):
                yield call
    elif kind == "response":
        finished = value.get("status") == "completed"
        for item in value.get("output") or ():
            yield from _response_call(item, value, finished)
    elif kind in ("list", "conversation.item.list"):
        yield from _calls_in(value.get("data"), owner)
    elif value.get("type") == "function_call":
        yield from _response_call(value, owner or {}, False)
    elif isinstance(value.get("type"), str) and str(value["type"]).startswith("response."):
        # a Responses stream event: the response it carries, or the item it finished
        if isinstance(value.get("response"), Mapping):
            yield from _calls_in(value["response"])
        elif value.get("type") == "response.output_item.done":
            yield from _calls_in(value.get("item"), owner)


def _response_call(item: Any, response: Mapping[str, Any], waited: bool) -> Iterator[_Seen]:
    if not isinstance(item, Mapping) or item.get("type") != "function_call":
        return
    if item.get("arguments") == "":  # announced while streaming: the text comes in fragments
        return
    yield _Seen(
        str(item.get("call_id", "?")),
        str(item.get("name", "?")),
        _text(item.get("arguments")),
        str(response.get("id", "?")),
        waited,
        _function_tools(response),
        "responses",
    )


def function_calls(cassette: Cassette) -> list[FunctionCall]:
    """Every distinct function call in `cassette` (by id and arguments), first sighting first;
    a call seen again once its run or response waited on it is marked `waited`."""
    found: dict[tuple[str, str], FunctionCall] = {}
    for number, interaction in enumerate(cassette.interactions, 1):
        response = interaction.response
        sources: list[tuple[str, Any]] = [(f"interaction {number} response body", response.body)]
        for index, event in enumerate(response.events or (), 1):
            if event.get("event") not in _FRAGMENTS:
                name = event.get("event")
                sources.append((f"interaction {number} event {index} ({name})", event.get("data")))
        for where, value in sources:
            for seen in _calls_in(value):
                key = (seen.call_id, seen.arguments)
                if key not in found:
                    found[key] = FunctionCall(
                        seen.call_id,
                        seen.name,
                        seen.arguments,
                        seen.owner,
                        seen.tools,
                        where,
                        seen.waited,
                        seen.api,
                    )
                elif seen.waited and not found[key].waited:
                    known = found[key]
                    found[key] = replace(
                        known, waited=True, owner=seen.owner, tools=seen.tools or known.tools
                    )
    return list(found.values())


def pending_calls(cassette: Cassette) -> list[FunctionCall]:
    """Every function call a run or response of `cassette` waited on the app to answer, first
    sighting first, one per call id."""
    seen: dict[str, FunctionCall] = {}
    for call in function_calls(cassette):
        if call.waited and call.call_id not in seen:
            seen[call.call_id] = call
    return list(seen.values())


def waited_in(objects: list[Any]) -> list[str]:
    """The call ids the runs and responses among `objects` wait on the app to answer."""
    return [seen.call_id for seen in _calls_in(objects) if seen.waited]


# -- the app's answers --------------------------------------------------------


def answered_call_ids(request: Request) -> list[str]:
    """The call ids a request answers with outputs, sorted (either API's shape)."""
    body = request.body if isinstance(request.body, Mapping) else {}
    outputs = body.get("tool_outputs")
    if isinstance(outputs, list):
        return sorted(str(o.get("tool_call_id")) for o in outputs if isinstance(o, Mapping))
    items = body.get("input")
    if isinstance(items, list):
        return sorted(
            str(i.get("call_id"))
            for i in items
            if isinstance(i, Mapping) and i.get("type") == "function_call_output"
        )
    return []


def outputs_of(request: Request) -> list[tuple[str, Any]]:
    """(call id, output value) of every tool output a request carries, in order."""
    body = request.body if isinstance(request.body, Mapping) else {}
    outputs = body.get("tool_outputs")
    if isinstance(outputs, list):
        return [
            (str(o.get("tool_call_id")), o.get("output")) for o in outputs if isinstance(o, Mapping)
        ]
    items = body.get("input")
    if isinstance(items, list):
        return [
            (str(i.get("call_id")), i.get("output"))
            for i in items
            if isinstance(i, Mapping) and i.get("type") == "function_call_output"
        ]
    return []


def without_output_values(body: Mapping[str, Any]) -> dict[str, Any]:
    """`body` with the outputs' values left out (which calls were answered stays)."""
    relaxed = {k: v for k, v in body.items() if k not in ("tool_outputs", "input")}
    if "tool_outputs" in body:
        relaxed["tool_call_ids"] = answered_call_ids(Request("POST", "/", body=dict(body)))
    if "input" in body:
        items = body["input"]
        relaxed["input"] = (
            [
                {k: v for k, v in i.items() if k != "output"}
                if isinstance(i, Mapping) and i.get("type") == "function_call_output"
                else i
                for i in items
            ]
            if isinstance(items, list)
            else items
        )
    return relaxed


# -- rewriting ------------------------------------------------------------------


class _Rewriter:
    """Puts other arguments in place of one call's, wherever the call appears; streamed
    fragments collapse into the first one."""

    def __init__(self, call_id: str, arguments: str) -> None:
        self.call_id = call_id
        self.arguments = arguments
        self.fragments: dict[tuple[Any, Any], bool] = {}
        self.items: set[str] = set()
        """Responses item ids of the call (its fragments name the item, not the call)."""

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        if value.get("object") == "thread.run.step.delta":
            return self._step_delta(value)
        kind = value.get("type")
        if kind == "function_call" and value.get("call_id") == self.call_id:
            self.items.add(str(value.get("id")))
            if value.get("arguments"):  # empty: streamed, its fragments carry the text
                value["arguments"] = self.arguments
        elif kind == "response.function_call_arguments.delta":
            return self._response_delta(value)
        elif kind == "response.function_call_arguments.done" and value.get("item_id") in self.items:
            value["arguments"] = self.arguments
        function = value.get("function")
        # an empty text is a streamed step not yet filled in: its deltas carry the new text
        if (
            value.get("id") == self.call_id
            and isinstance(function, dict)
            and function.get("arguments")
        ):
            function["arguments"] = self.arguments
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                value[key] = self(item)
        return value

    def _step_delta(self, value: dict[str, Any]) -> dict[str, Any]:
        step = value.get("id")
        details = (value.get("delta") or {}).get("step_details") or {}
        for call in details.get("tool_calls") or ():
            slot = (step, call.get("index"))
            if call.get("id") == self.call_id:
                self.fragments[slot] = True
                call.setdefault("function", {})["arguments"] = self.arguments
            elif self.fragments.get(slot) and isinstance(call.get("function"), dict):
                call["function"]["arguments"] = ""  # the whole text went into the first fragment
        return value

    def _response_delta(self, value: dict[str, Any]) -> dict[str, Any]:
        item = value.get("item_id")
        if item in self.items:
            slot = (item, None)
            value["delta"] = "" if self.fragments.get(slot) else self.arguments
            self.fragments[slot] = True
        return value


def with_arguments(cassette: Cassette, call_id: str, arguments: str) -> Cassette:
    """A copy of `cassette` in which the model sent `arguments` for `call_id`."""
    rewrite = _Rewriter(call_id, arguments)
    interactions = []
    for interaction in cassette.interactions:
        response = interaction.response
        body = rewrite(copy.deepcopy(response.body))
        events = response.events
        if events is not None:
            events = tuple(rewrite(copy.deepcopy(dict(e))) for e in events)
        interactions.append(
            Interaction(
                interaction.request, replace(response, body=body, events=events), interaction.repeat
            )
        )
    return Cassette(meta=dict(cassette.meta), interactions=interactions, format=cassette.format)
