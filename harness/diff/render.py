"""A `DiffReport` as text (a terminal), Markdown (a pull-request comment) or JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator

from harness import escape
from harness.diff import Change, DiffReport, FileDiff
from harness.diff.compare import SECTIONS
from harness.diff.jsondiff import JSON, Edit

FORMATS = ("text", "markdown", "json")
_TITLES = {
    "runs": "Runs",
    "tool_calls": "Tool calls",
    "tool_outputs": "Tool outputs",
    "messages": "Messages",
    "errors": "Errors",
    "other": "Other differences",
}
_SIGN = {"added": "+", "removed": "-", "changed": "~"}
_LIMIT = 240


def render(report: DiffReport, fmt: str = "text") -> str:
    if fmt == "json":
        return escape.json_text(json.dumps(report.to_data(), indent=2, ensure_ascii=False))
    if fmt == "markdown":
        return "\n".join(_markdown(report))
    return "\n".join(escape.terminal(line) for line in _text(report))


def headline(report: DiffReport) -> str:
    total, changed = len(report.files), len(report.different)
    noun = "cassette" if total == 1 else "cassettes"
    if not changed:
        return f"{total} {noun}: equivalent conversations"
    return f"{changed} of {total} {noun} {'differs' if changed == 1 else 'differ'}"


def _short(value: JSON, limit: int = _LIMIT) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _status_path(value: JSON) -> str:
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return " > ".join(value) if value else "(none)"
    return _short(value)


def _value(value: JSON) -> str:
    """A value inside an edit: JSON, so a string shows its quotes."""
    return _short(json.dumps(value, ensure_ascii=False))


def _edit_line(edit: Edit) -> str:
    if not edit.path and edit.op != "replace":  # a line of a list of lines (requests)
        return f"+ {_short(edit.new)}" if edit.op == "add" else f"- {_short(edit.old)}"
    if edit.op == "add":
        return f"+ {edit.path}: {_value(edit.new)}"
    if edit.op == "remove":
        return f"- {edit.path}: {_value(edit.old)}"
    return f"~ {edit.path or '(value)'}: {_value(edit.old)} -> {_value(edit.new)}"


def _what(change: Change) -> str:
    """The change in one line (without its edits)."""
    if change.subject.endswith("status path"):
        return f"{change.subject}: {_status_path(change.old)} -> {_status_path(change.new)}"
    if change.kind == "added":
        return f"{change.subject}: {_summary(change.new)}"
    if change.kind == "removed":
        return f"{change.subject}: {_summary(change.old)}"
    if change.edits:
        return change.subject
    return f"{change.subject}: {_short(change.old)} -> {_short(change.new)}"


def _summary(value: JSON) -> str:
    if isinstance(value, dict) and "text" in value:
        return _short(value["text"])
    if isinstance(value, dict) and "statuses" in value:
        return _status_path(value["statuses"])
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return _status_path(value)
    return _short(value)


def _grouped(file: FileDiff) -> Iterator[tuple[str, list[Change]]]:
    for section in SECTIONS:
        changes = [c for c in file.changes if c.section == section]
        if changes:
            yield section, changes


# --- text -------------------------------------------------------------------------------


def _text(report: DiffReport) -> Iterator[str]:
    yield f"harness diff {report.old} {report.new}: {headline(report)}"
    for file in report.different:
        if file.status != "changed":
            side = "new" if file.status == "added" else "old"
            yield f"{file.name}: {file.status} (only in {side})"
            continue
        yield f"{file.name}: changed"
        for section, changes in _grouped(file):
            yield f"  {_TITLES[section].lower()}:"
            for change in changes:
                yield f"    {_SIGN[change.kind]} {_what(change)}"
                for edit in change.edits:
                    yield f"        {_edit_line(edit)}"


# --- markdown -----------------------------------------------------------------------------


def _markdown(report: DiffReport) -> Iterator[str]:
    yield f"### `harness diff`: {headline(report)}"
    yield ""
    yield f"Old: {escape.code_span(report.old)} · new: {escape.code_span(report.new)}"
    if report.equivalent:
        return
    yield ""
    yield "| cassette | what changed |"
    yield "| --- | --- |"
    for file in report.different:
        yield f"| {escape.code_span(file.name)} | {_tally(file)} |"
    for file in report.different:
        if file.status != "changed":
            continue
        yield ""
        yield f"#### {escape.code_span(file.name)}"
        for section, changes in _grouped(file):
            yield ""
            if section == "other":
                yield f"<details><summary>{_TITLES[section]} ({len(changes)})</summary>"
                yield ""
            else:
                yield f"**{_TITLES[section]}**"
                yield ""
            for change in changes:
                yield from _markdown_change(change)
            if section == "other":
                yield ""
                yield "</details>"


def _tally(file: FileDiff) -> str:
    if file.status == "added":
        return "added (only in new)"
    if file.status == "removed":
        return "removed (only in old)"
    parts = []
    for section, changes in _grouped(file):
        parts.append(f"{len(changes)} {_TITLES[section].lower()}")
    return ", ".join(parts)


def _markdown_change(change: Change) -> Iterator[str]:
    verb = {"added": "added", "removed": "removed", "changed": "changed"}[change.kind]
    yield f"- {verb}: {_code(_what(change))}"
    if change.edits:
        lines = [line for edit in change.edits for line in _diff_lines(edit)]
        yield from escape.code_block(lines, "diff", indent="  ")


def _diff_lines(edit: Edit) -> list[str]:
    """An edit as lines a ```diff block colours: a replacement is a removal and an addition."""
    if edit.op == "replace":
        where = edit.path or "(value)"
        return [f"- {where}: {_value(edit.old)}", f"+ {where}: {_value(edit.new)}"]
    return [_edit_line(edit)]


def _code(text: str) -> str:
    """Cassette text only inside code spans: `<!--`, `<img>`, links and mentions stay inert."""
    subject, sep, rest = text.partition(": ")
    if not sep:
        return escape.code_span(subject)
    return f"{escape.code_span(subject)}: {escape.code_span(rest)}"
