"""Two transcripts (their snapshot views: ids aliased, timestamps and poll counts left out)
compared as conversations: runs and their status paths, tool calls and their arguments,
tool outputs, messages, errors, and whatever else differs.

Runs are paired by alias (`run_1` with `run_1`); messages and errors are aligned as
sequences, so one added message is one addition, not a shift of every later one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from harness.diff.jsondiff import JSON, Edit, json_edits

SECTIONS = ("runs", "tool_calls", "tool_outputs", "messages", "errors", "other")
_SPECIFIC = ("runs", "messages", "errors")


@dataclass(frozen=True)
class Change:
    """One difference: `section` is one of `SECTIONS`, `kind` added, removed or changed."""

    section: str
    kind: str
    subject: str
    """What changed, by alias: `run_1`, `run_1 call_1 (display_quiz) arguments`, `msg_3`."""
    old: JSON = None
    new: JSON = None
    edits: tuple[Edit, ...] = ()
    """For values compared field by field (tool arguments, say): where they differ."""

    def to_data(self) -> dict[str, JSON]:
        data: dict[str, JSON] = {
            "section": self.section,
            "kind": self.kind,
            "subject": self.subject,
        }
        if self.kind != "added":
            data["old"] = self.old
        if self.kind != "removed":
            data["new"] = self.new
        if self.edits:
            data["edits"] = [e.to_data() for e in self.edits]
        return data


def compare(old: dict[str, JSON], new: dict[str, JSON]) -> list[Change]:
    """What differs between two snapshot views (`Transcript.to_data()`); empty when equal."""
    if old == new:
        return []
    changes = list(_runs(old.get("runs") or [], new.get("runs") or []))
    changes += _messages(old.get("messages") or [], new.get("messages") or [])
    changes += _errors(old.get("errors") or [], new.get("errors") or [])
    for key in [*old, *(k for k in new if k not in old)]:
        if key not in _SPECIFIC and old.get(key) != new.get(key):
            changes.append(_other(key, old.get(key), new.get(key)))
    order = {name: n for n, name in enumerate(SECTIONS)}
    return sorted(changes, key=lambda c: order[c.section])


# --- runs, tool calls, tool outputs ---------------------------------------------------


def _runs(old: list[JSON], new: list[JSON]) -> Iterator[Change]:
    for index in range(max(len(old), len(new))):
        if index >= len(new):
            yield Change("runs", "removed", _id(old[index]), old=_path(old[index]))
        elif index >= len(old):
            yield Change("runs", "added", _id(new[index]), new=_path(new[index]))
        elif old[index] != new[index]:
            yield from _run(old[index], new[index])


def _run(old: dict[str, JSON], new: dict[str, JSON]) -> Iterator[Change]:
    name = _id(new)
    found = False
    if old.get("statuses") != new.get("statuses"):
        found = True
        yield Change("runs", "changed", f"{name} status path", _path(old), _path(new))
    for key in ("last_error", "incomplete"):
        if old.get(key) != new.get(key):
            found = True
            edits = tuple(json_edits(old.get(key), new.get(key)))
            yield Change("runs", "changed", f"{name} {key}", old.get(key), new.get(key), edits)
    calls = list(_calls(name, _tool_calls(old), _tool_calls(new)))
    outputs = list(_outputs(name, old.get("submissions") or [], new.get("submissions") or []))
    yield from calls
    yield from outputs
    rest = {k for k in (*old, *new) if k not in _RUN_COVERED and old.get(k) != new.get(k)}
    if rest or not (found or calls or outputs):
        keep = sorted(rest) or sorted(k for k in (*old, *new) if old.get(k) != new.get(k))
        a = {k: old.get(k) for k in keep}
        b = {k: new.get(k) for k in keep}
        yield Change("runs", "changed", f"{name} {', '.join(keep)}", a, b, tuple(json_edits(a, b)))


_RUN_COVERED = frozenset(
    {"id", "statuses", "last_error", "incomplete", "required_actions", "submissions", "steps"}
)


def _tool_calls(run: dict[str, JSON]) -> list[dict[str, JSON]]:
    """The run's tool calls, first sighting first: required ones, then those of its steps."""
    seen: dict[str, dict[str, JSON]] = {}
    for calls in run.get("required_actions") or []:
        for call in calls:
            seen.setdefault(str(call.get("id")), dict(call))
    for step in run.get("steps") or []:
        for call in step.get("tool_calls") or []:
            merged = {**seen.get(str(call.get("id")), {}), **call}
            seen[str(call.get("id"))] = merged
    return list(seen.values())


def _call_name(call: dict[str, JSON]) -> str:
    label = call.get("name") or call.get("type")
    return f"{call.get('id')} ({label})"


def _calls(run: str, old: list[JSON], new: list[JSON]) -> Iterator[Change]:
    for index in range(max(len(old), len(new))):
        if index >= len(new):
            yield Change("tool_calls", "removed", f"{run} {_call_name(old[index])}", old[index])
            continue
        if index >= len(old):
            yield Change("tool_calls", "added", f"{run} {_call_name(new[index])}", new=new[index])
            continue
        a, b = old[index], new[index]
        subject = f"{run} {_call_name(b)}"
        if a.get("type") != b.get("type") or a.get("name") != b.get("name"):
            yield Change("tool_calls", "changed", f"{subject} name", _call_name(a), _call_name(b))
        for key in sorted({*a, *b} - {"id", "type", "name"}):
            if a.get(key) != b.get(key):
                edits = tuple(json_edits(a.get(key), b.get(key)))
                yield Change(
                    "tool_calls", "changed", f"{subject} {key}", a.get(key), b.get(key), edits
                )


def _outputs(run: str, old: list[JSON], new: list[JSON]) -> Iterator[Change]:
    for index in range(max(len(old), len(new))):
        subject = f"{run} submission {index + 1}"
        if index >= len(new):
            yield Change("tool_outputs", "removed", subject, old=old[index])
        elif index >= len(old):
            yield Change("tool_outputs", "added", subject, new=new[index])
        elif old[index] != new[index]:
            edits = tuple(json_edits(old[index], new[index]))
            yield Change("tool_outputs", "changed", subject, old[index], new[index], edits)


# --- messages and errors ---------------------------------------------------------------


def _messages(old: list[JSON], new: list[JSON]) -> list[Change]:
    def label(message: dict[str, JSON]) -> str:
        return f"{message.get('id')} ({message.get('role')} on {message.get('thread')})"

    def key(message: dict[str, JSON]) -> tuple[Any, ...]:
        return (message.get("thread"), message.get("role"), message.get("text"))

    def kin(message: dict[str, JSON]) -> tuple[Any, ...]:
        return (message.get("thread"), message.get("role"))

    changes: list[Change] = []
    for tag, a, b in _aligned(old, new, key, kin):
        if tag == "added":
            changes.append(Change("messages", "added", label(b), new=b))
        elif tag == "removed":
            changes.append(Change("messages", "removed", label(a), old=a))
        elif a != b:
            # its alias may have moved with an added message: the subject names the new one
            edits = json_edits({**a, "id": None}, {**b, "id": None})
            changes.append(Change("messages", "changed", label(b), a, b, tuple(edits)))
    return changes


def _errors(old: list[JSON], new: list[JSON]) -> list[Change]:
    def label(error: dict[str, JSON]) -> str:
        return f"{error.get('request')} -> {error.get('status')} {error.get('code') or ''}".strip()

    def key(error: dict[str, JSON]) -> tuple[Any, ...]:
        return (error.get("request"), error.get("status"), error.get("code"))

    def kin(error: dict[str, JSON]) -> Any:
        return error.get("request")

    changes: list[Change] = []
    for tag, a, b in _aligned(old, new, key, kin):
        if tag == "added":
            changes.append(Change("errors", "added", label(b), new=b))
        elif tag == "removed":
            changes.append(Change("errors", "removed", label(a), old=a))
        elif a != b:
            changes.append(Change("errors", "changed", label(b), a, b, tuple(json_edits(a, b))))
    return changes


def _aligned(
    old: Sequence[JSON], new: Sequence[JSON], key: Any, kin: Any
) -> Iterator[tuple[str, JSON, JSON]]:
    """("same" | "added" | "removed", old item, new item) along the best alignment by `key`;
    within a replaced block, items of one `kin` (a message's thread and role) are paired in
    order, to be compared field by field, and the rest are added or removed."""
    matcher = difflib.SequenceMatcher(None, [key(x) for x in old], [key(x) for x in new], False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                yield "same", old[i1 + offset], new[j1 + offset]
            continue
        paired: dict[int, int] = {}
        start = j1
        for i in range(i1, i2):
            match = next((j for j in range(start, j2) if kin(new[j]) == kin(old[i])), None)
            if match is not None:
                paired[match] = i
                start = match + 1
        for i in range(i1, i2):
            if i not in paired.values():
                yield "removed", old[i], None
        for j in range(j1, j2):
            if j in paired:
                yield "same", old[paired[j]], new[j]
            else:
                yield "added", None, new[j]


# --- the rest ----------------------------------------------------------------------------


def _other(key: str, old: JSON, new: JSON) -> Change:
    """A top-level part of the transcript (requests, listings, streams, assistants, ...)."""
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and all(isinstance(x, str) for x in (*old, *new))
    ):
        lines = [
            line
            for line in difflib.unified_diff(old, new, lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        return Change("other", "changed", key, old, new, _line_edits(lines))
    return Change("other", "changed", key, old, new, tuple(json_edits(old, new)))


def _line_edits(lines: list[str]) -> tuple[Edit, ...]:
    return tuple(
        Edit("add", "", new=line[1:]) if line[0] == "+" else Edit("remove", "", old=line[1:])
        for line in lines
    )


def _id(run: dict[str, JSON]) -> str:
    return str(run.get("id"))


def _path(run: dict[str, JSON]) -> list[JSON]:
    return list(run.get("statuses") or [])
