"""Drift check: do the function calls a model really made, as cassettes hold
them, still fit the current schemas of their tools?

Calls are read by `harness.cassette.calls`: Assistants runs and run steps,
Responses `function_call` items, in bodies and SSE events alike (streamed
fragments skipped: the finished object carries the whole arguments).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.cassette import calls
from harness.cassette.model import Cassette
from harness.cassette.storage import read_cassette
from harness.fuzz._schema import (
    format_pointer,
    tool_function,
    tool_name,
    tool_parameters,
    validator_for,
)

CassetteSource = str | os.PathLike[str] | Cassette | tuple[str, Cassette]
"""A cassette file, a Cassette (named by `meta["name"]`), or a (name, Cassette) pair."""


@dataclass(frozen=True)
class RecordedCall:
    """One function tool call as a cassette recorded it."""

    cassette: str
    call_id: str
    name: str
    arguments: str
    where: str
    """Where in the cassette, e.g. `interaction 4 response body`."""


@dataclass(frozen=True)
class Drift:
    """A recorded call the current schema of its tool rejects."""

    cassette: str
    call_id: str
    tool: str
    pointer: str
    """JSON pointer into the call's arguments."""
    message: str
    schema_pointer: str = ""
    """JSON pointer into the tool's `parameters` of the keyword that rejects it."""
    where: str = ""

    def __str__(self) -> str:
        schema = f" (schema {self.schema_pointer})" if self.schema_pointer else ""
        return (
            f"{self.cassette}: call {self.call_id} ({self.tool}), {self.where}: "
            f"{self.pointer}: {self.message}{schema}"
        )


def recorded_calls(cassette: Cassette, name: str = "<cassette>") -> list[RecordedCall]:
    """Every distinct function call in `cassette`, first sighting first."""
    return [
        RecordedCall(name, call.call_id, call.name, call.arguments, call.where)
        for call in calls.function_calls(cassette)
    ]


def _load(source: CassetteSource, index: int) -> tuple[str, Cassette]:
    if isinstance(source, tuple):
        return source
    if isinstance(source, Cassette):
        return str(source.meta.get("name") or f"<cassette {index}>"), source
    path = Path(source)
    return str(path), read_cassette(path)


def _tool_table(
    tools: Iterable[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]],
) -> dict[str, Mapping[str, Any]]:
    if isinstance(tools, Mapping) and not ({"name", "function"} & set(tools)):
        return {str(name): tool for name, tool in tools.items()}
    if isinstance(tools, Mapping):
        tools = [tools]
    return {tool_name(tool): tool for tool in tools if "name" in tool_function(tool)}


def check_recorded_calls(
    cassettes: Iterable[CassetteSource],
    tools: Iterable[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]],
    *,
    unknown_tools: bool = True,
) -> list[Drift]:
    """Validate every recorded function call against its tool's current schema.

    `tools` is a list of tool definitions (plain or wrapped) or a mapping of
    name to tool. A call to a tool missing from `tools` is drift too unless
    `unknown_tools=False`; arguments that are not JSON are reported as such.
    """
    table = _tool_table(tools)
    validators = {name: validator_for(tool_parameters(tool)) for name, tool in table.items()}
    drifts: list[Drift] = []
    for index, source in enumerate(cassettes, 1):
        name, cassette = _load(source, index)
        for call in recorded_calls(cassette, name):
            base = Drift(name, call.call_id, call.name, "/", "", where=call.where)
            if call.name not in validators:
                if unknown_tools:
                    drifts.append(_with(base, message=f"no current tool is named {call.name!r}"))
                continue
            try:
                arguments = json.loads(call.arguments)
            except ValueError as exc:
                drifts.append(_with(base, message=f"arguments are not JSON ({exc})"))
                continue
            for error in sorted(
                validators[call.name].iter_errors(arguments), key=lambda e: list(e.absolute_path)
            ):
                drifts.append(
                    _with(
                        base,
                        pointer=format_pointer(list(error.absolute_path)),
                        message=_short(error.message),
                        schema_pointer=format_pointer(list(error.absolute_schema_path)),
                    )
                )
    return drifts


def _with(drift: Drift, **changes: str) -> Drift:
    return Drift(**{**drift.__dict__, **changes})


def _short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[:limit] + "..."


def assert_no_drift(
    cassettes: Iterable[CassetteSource],
    tools: Iterable[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]],
    *,
    unknown_tools: bool = True,
) -> None:
    """Raise AssertionError listing every drift `check_recorded_calls` finds."""
    __tracebackhide__ = True
    drifts = check_recorded_calls(cassettes, tools, unknown_tools=unknown_tools)
    if drifts:
        lines = [f"{len(drifts)} recorded tool call(s) no longer fit the current tool schemas:"]
        lines += [f"  {drift}" for drift in drifts]
        lines.append(
            "  Either the schema change breaks what the model sends (fix the schema) or re-record."
        )
        raise AssertionError("\n".join(lines))
