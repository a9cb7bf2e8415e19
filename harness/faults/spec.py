"""A fault to inject into a replay, written as `NAME[:DETAIL]@TARGET`; the text is also the
fault's test id under `faults="each"`.

    failed@run_1                      run_1 ends failed (server_error) at its first poll
    failed:rate_limit_exceeded@run_1.poll_2
    expired@run_2   cancelled@run_1   incomplete@run_1   incomplete:max_prompt_tokens@run_1
    http429@run_1.submit_1            the first tool-output submission to run_1 answers 429
    http500@run_1.create   http503@run_1.poll_2   http429@request_5   (the 5th request made)
    cut@stream_1.event_12             the first stream ends after its 12th event (cut@stream_1:
                                      half-way)
    arguments:empty@call_1            call_1's arguments are `{}` (malformed: cut in half;
                                      any other DETAIL: that JSON text)
    failed@resp_1.poll_2              background response resp_1 ends failed at its 2nd retrieve
    incomplete@resp_2.end             streamed response resp_2's stream ends incomplete
    cancelled@resp_1   http503@resp_1.create   http429@resp_1.poll_1

Runs, streams and calls are named as the cassette's transcript names them (`harness
transcript`): by kind and order of first appearance. A poll is a read of the run
(`GET .../runs/{id}`) or, for a streamed run, a run event after `thread.run.created`; a
response's poll is a retrieve of it, its `end` the last event of its stream (`resp_N` alone:
its first poll, or its stream's end when it was streamed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.api import UNSUCCESSFUL_RESPONSE_ENDS, UNSUCCESSFUL_RUN_ENDS
from harness.errors import ConfigError

RUN_ENDS = UNSUCCESSFUL_RUN_ENDS
FAILED_CODES = ("server_error", "rate_limit_exceeded")
INCOMPLETE_REASONS = ("max_completion_tokens", "max_prompt_tokens")
RESPONSE_ENDS = UNSUCCESSFUL_RESPONSE_ENDS
RESPONSE_INCOMPLETE_REASONS = ("max_output_tokens", "content_filter")
HTTP_STATUSES = {"http429": 429, "http500": 500, "http503": 503}
ARGUMENT_VARIANTS = ("empty", "malformed")
NAMES = (*RUN_ENDS, *HTTP_STATUSES, "cut", "arguments")

_TARGET = re.compile(
    r"(?P<subject>run|request|stream|call|resp)_(?P<number>[1-9]\d*)"
    r"(?:\.(?P<part>poll|create|submit|event|end)(?:_(?P<count>[1-9]\d*))?)?\Z"
)
_ALLOWED: dict[str, set[tuple[str, str | None]]] = {
    "run": {("run", "poll"), ("resp", "poll"), ("resp", "end"), ("resp", None)},
    "http": {
        ("run", "poll"),
        ("run", "create"),
        ("run", "submit"),
        ("request", None),
        ("resp", "poll"),
        ("resp", "create"),
    },
    "cut": {("stream", "event")},
    "arguments": {("call", None)},
}
_DETAILS = {"failed": FAILED_CODES, "incomplete": INCOMPLETE_REASONS + RESPONSE_INCOMPLETE_REASONS}
"""The :DETAIL each fault name takes (the others take none, or any text)."""
_COUNTED = frozenset({"poll", "submit", "event"})
_FORMAT = "NAME[:DETAIL]@TARGET, e.g. failed@run_1, http429@run_1.submit_1, cut@stream_1.event_3"


@dataclass(frozen=True)
class Target:
    """Where a fault strikes: `run_1.poll_2` is subject run, number 1, part poll, count 2."""

    subject: str
    number: int
    part: str | None = None
    count: int | None = None
    """None for a stream cut: half-way through the stream."""

    @property
    def alias(self) -> str:
        return f"{self.subject}_{self.number}"


@dataclass(frozen=True)
class Fault:
    """One fault: `name` (see `NAMES`), `target` (see the module docstring), `detail` (the
    failure code, the incomplete reason, or the replacement arguments)."""

    name: str
    target: str
    detail: str | None = None

    def __post_init__(self) -> None:
        _check(self)

    @property
    def id(self) -> str:
        detail = f":{self.detail}" if self.detail is not None else ""
        return f"{self.name}{detail}@{self.target}"

    def __str__(self) -> str:
        return self.id

    @property
    def kind(self) -> str:
        """run (a run ends early), http (an error response), cut or arguments."""
        if self.name in RUN_ENDS:
            return "run"
        if self.name in HTTP_STATUSES:
            return "http"
        return self.name

    @property
    def where(self) -> Target:
        return _parse_target(self.target, self.id)


def parse_fault(value: Fault | str) -> Fault:
    """A `Fault` from its text (`failed@run_1`) or itself; `ConfigError` naming the problem."""
    if isinstance(value, Fault):
        return value
    if not isinstance(value, str) or "@" not in value:
        raise ConfigError(f"assistants_faults: {value!r} is not a fault; write {_FORMAT}")
    head, _, target = value.rpartition("@")
    name, sep, detail = head.partition(":")
    return Fault(name.strip(), target.strip(), detail if sep else None)


def _parse_target(target: str, fault: str) -> Target:
    found = _TARGET.match(target)
    if found is None:
        raise ConfigError(
            f"assistants_faults: {fault}: bad target {target!r}; use run_N, run_N.poll_K, "
            "run_N.create, run_N.submit_K, request_N, stream_N.event_K, call_N, resp_N, "
            "resp_N.poll_K, resp_N.create or resp_N.end"
        )
    part, count = found["part"], found["count"]
    if part is None and found["subject"] in ("run", "stream"):
        part = "poll" if found["subject"] == "run" else "event"
    if part == "end" and count is not None:
        raise ConfigError(f"assistants_faults: {fault}: a stream ends once: write resp_N.end")
    if part in _COUNTED and count is None and part != "event":
        count = "1"
    if part == "create" and count is not None:
        raise ConfigError(f"assistants_faults: {fault}: a run is created once: write run_N.create")
    return Target(found["subject"], int(found["number"]), part, int(count) if count else None)


def _check(fault: Fault) -> None:
    if fault.name not in NAMES:
        raise ConfigError(
            f"assistants_faults: {fault.id}: unknown fault {fault.name!r}; choose from "
            f"{', '.join(NAMES)}"
        )
    details = _DETAILS.get(fault.name)
    if fault.detail is not None and details is not None and fault.detail not in details:
        raise ConfigError(
            f"assistants_faults: {fault.id}: {fault.name} takes {' or '.join(details)}"
        )
    if fault.detail is not None and details is None and fault.name != "arguments":
        raise ConfigError(f"assistants_faults: {fault.id}: {fault.name} takes no :DETAIL")
    where = fault.where
    if (where.subject, where.part) not in _ALLOWED[fault.kind]:
        raise ConfigError(
            f"assistants_faults: {fault.id}: {fault.name} cannot strike {fault.target}; "
            f"write {_FORMAT}"
        )


def failure_code(fault: Fault) -> str:
    return fault.detail or FAILED_CODES[0]


def incomplete_reason(fault: Fault) -> str:
    return fault.detail or INCOMPLETE_REASONS[0]
