"""The one table of API operations, and the matcher from an HTTP request to one.

The table holds both conversation APIs (Assistants v2; Responses with
Conversations) and the resources they share (files, vector stores,
containers); `Operation.api` says which an operation belongs to.

`OPERATIONS` is read from `operations.json` (generated from OpenAI's OpenAPI
spec by `harness.api.extract`). Paths are templates relative to the API base
(`/threads/{thread_id}/runs`); `match` turns a method and such a path into the
operation and its path parameters, and `locate` also finds the base in front
of it (`/v1`, Azure's `/openai`, a proxy's `/api/openai/v1`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from harness.api.constants import LIVE_ONLY_APIS, OTHER_APIS

# Operations that answer with server-sent events when the request asks for `stream`
# (`get_response` in its query: `?stream=true&starting_after=N` resumes a background response).
_STREAMING = frozenset(
    {
        "create_run",
        "create_thread_and_run",
        "submit_tool_outputs_to_run",
        "create_response",
        "get_response",
    }
)
# Operations that start a unit of work (a run, a response) whose status the app then follows.
_CREATES_RUN = frozenset({"create_run", "create_thread_and_run"})
_CREATES_RESPONSE = frozenset({"create_response"})
_WRITES_CONVERSATION = frozenset({"create_conversation", "create_conversation_items"})
# GETs that apps poll until the object's status settles (`openai-poll-after-ms` paces them).
_POLLED = frozenset(
    {"get_run", "get_response", "get_vector_store_file", "get_vector_store_file_batch"}
)
# Requests that answer a unit of work's tool calls with their outputs.
_ANSWERS_TOOL_CALLS = frozenset({"submit_tool_outputs_to_run"})
# The first path segment of each API's operations; everything else is shared.
_API_OF_ROOT = {
    "assistants": "assistants",
    "threads": "assistants",
    "responses": "responses",
    "conversations": "responses",
}


@dataclass(frozen=True)
class Operation:
    """One endpoint of the API: `create_run` is `POST /threads/{thread_id}/runs`."""

    name: str
    operation_id: str
    """As the spec spells it (`createRun`)."""
    method: str
    path: str
    query: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Query parameters by name, with their JSON Schemas."""

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.path.strip("/").split("/"))

    @property
    def params(self) -> tuple[str, ...]:
        """The path parameters, in order (`thread_id`, `run_id`)."""
        return tuple(s[1:-1] for s in self.segments if s.startswith("{"))

    @property
    def beta(self) -> bool:
        """Whether requests carry `OpenAI-Beta: assistants=v2` (files and vector stores don't)."""
        return self.segments[0] in ("assistants", "threads")

    @property
    def api(self) -> str:
        """`assistants`, `responses` (Responses and Conversations) or `shared` (files, vector
        stores, containers)."""
        return _API_OF_ROOT.get(self.segments[0], "shared")

    @property
    def streams(self) -> bool:
        """Whether it answers with server-sent events when the request asks for `stream`."""
        return self.name in _STREAMING

    @property
    def creates_run(self) -> bool:
        """Whether it starts an Assistants run (`create_run`, `create_thread_and_run`)."""
        return self.name in _CREATES_RUN

    @property
    def creates_response(self) -> bool:
        return self.name in _CREATES_RESPONSE

    @property
    def writes_conversation(self) -> bool:
        """Whether it creates a conversation or adds items to one (Conversations API)."""
        return self.name in _WRITES_CONVERSATION

    @property
    def polled(self) -> bool:
        """Whether apps poll it until the object's status settles (a run, a background
        response, a vector store file or batch)."""
        return self.name in _POLLED

    @property
    def answers_tool_calls(self) -> bool:
        """Whether its request carries tool outputs for a waiting run."""
        return self.name in _ANSWERS_TOOL_CALLS

    def render(self, **params: str) -> str:
        """The concrete path: `create_run.render(thread_id="thread_1")`."""
        return self.path.format(**params)


@dataclass(frozen=True)
class Match:
    operation: Operation
    params: Mapping[str, str]

    @property
    def name(self) -> str:
        return self.operation.name


@dataclass(frozen=True)
class Located:
    """A full request path split into the API base and the operation after it."""

    base: str
    path: str
    match: Match


@functools.cache
def _table() -> tuple[Operation, ...]:
    text = resources.files("harness.api").joinpath("operations.json").read_text("utf-8")
    return tuple(Operation(**entry) for entry in json.loads(text))


class _Node:
    __slots__ = ("literal", "ops", "param", "param_name")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.param: _Node | None = None
        self.param_name = ""
        self.ops: dict[str, Operation] = {}


@functools.cache
def _trie() -> _Node:
    root = _Node()
    for op in _table():
        node = root
        for segment in op.segments:
            if segment.startswith("{"):
                if node.param is None:
                    node.param, node.param_name = _Node(), segment[1:-1]
                # one name per position, or `match` would report the wrong parameter
                assert node.param_name == segment[1:-1], op.path
                node = node.param
            else:
                node = node.literal.setdefault(segment, _Node())
        node.ops[op.method] = op
    return root


def _walk(
    node: _Node, segments: list[str], index: int, method: str, values: list[tuple[str, str]]
) -> Operation | None:
    if index == len(segments):
        return node.ops.get(method)
    segment = segments[index]
    # A literal segment wins over a parameter: `/threads/runs` is not thread `runs`.
    child = node.literal.get(segment)
    if child is not None:
        found = _walk(child, segments, index + 1, method, values)
        if found is not None:
            return found
    if node.param is not None and segment:
        values.append((node.param_name, segment))
        found = _walk(node.param, segments, index + 1, method, values)
        if found is not None:
            return found
        values.pop()
    return None


def match(method: str, path: str) -> Match | None:
    """The operation `method path` calls (path relative to the API base), or None."""
    values: list[tuple[str, str]] = []
    segments = path.strip("/").split("/") if path.strip("/") else []
    op = _walk(_trie(), segments, 0, method.upper(), values)
    return Match(op, dict(values)) if op is not None else None


def locate(method: str, path: str) -> Located | None:
    """`match` for a full URL path whose API base is unknown: the shortest base wins."""
    segments = path.strip("/").split("/")
    for start in range(len(segments)):
        if segments[start] not in _trie().literal:
            continue
        rest = "/" + "/".join(segments[start:])
        found = match(method, rest)
        if found is not None:
            base = "/" + "/".join(segments[:start]) if start else ""
            return Located(base, rest, found)
    return None


def other_api(path: str) -> str | None:
    """The name of the API the harness does not know that a full URL path calls
    (`/v1/realtime/sessions` -> "the Realtime API"), or None."""
    segment = _other_segment(path)
    return OTHER_APIS[segment] if segment is not None else None


def live_only_api(path: str) -> bool:
    """Whether a full URL path calls an API that cannot be recorded or forwarded at all."""
    return _other_segment(path) in LIVE_ONLY_APIS


def _other_segment(path: str) -> str | None:
    segments = path.strip("/").split("/")
    for index, segment in enumerate(segments):
        if segment in OTHER_APIS and (index == 0 or segments[index - 1] in ("v1", "openai")):
            return segment
    return None


def operation(name: str) -> Operation:
    """The operation called `name` (KeyError for an unknown name)."""
    return _by_name()[name]


@functools.cache
def _by_name() -> dict[str, Operation]:
    return {op.name: op for op in _table()}


def operations() -> tuple[Operation, ...]:
    """Every operation, in the spec's order."""
    return _table()
