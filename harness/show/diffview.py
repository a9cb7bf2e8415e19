"""`harness diff --format html`: two conversations side by side, what changed highlighted.

`side_by_side` aligns two conversations (items as `harness.show.conversation` reads them)
row by row: items that match stay level, a changed one sits beside its counterpart, an added
or removed one beside a gap. `comparison_html` draws any pairs of conversations with their
change lines, so `harness parity --format html` can reuse it with its own pairs.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.cassette.model import Cassette
from harness.diff import Change, DiffReport
from harness.diff.render import headline
from harness.diff.sources import local_side
from harness.parity.render import sentence
from harness.parity.report import ParityReport
from harness.show.conversation import conversation_of
from harness.show.render import render_page
from harness.transcript import transcript

JSON = Any
_VOLATILE = ("where", "thread", "run")  # differ between takes without changing the conversation


@dataclass(frozen=True)
class Compared:
    """One pair of conversations: `status` same, changed, added or removed; `lines` the
    changes in words; `old`/`new` the conversations (None for a side that is missing)."""

    name: str
    status: str
    lines: tuple[tuple[str, str, str], ...]
    """(kind, section, text) per change."""
    old: dict[str, JSON] | None
    new: dict[str, JSON] | None


def conversation(cassette: Cassette, source: str) -> dict[str, JSON]:
    return conversation_of(cassette, transcript(cassette, source=source))


def side_by_side(old: Sequence[dict[str, JSON]], new: Sequence[dict[str, JSON]]) -> list[JSON]:
    """Rows `{old, new, change}` (change: same, changed, added, removed)."""
    old_keys, new_keys = [_identity(i) for i in old], [_identity(i) for i in new]
    rows: list[JSON] = []
    matcher = difflib.SequenceMatcher(a=old_keys, b=new_keys, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            for a, b in zip(range(a0, a1), range(b0, b1), strict=True):
                same = _content(old[a]) == _content(new[b])
                rows.append({"old": old[a], "new": new[b], "change": "same" if same else "changed"})
            continue
        for k in range(max(a1 - a0, b1 - b0)):
            left = old[a0 + k] if a0 + k < a1 else None
            right = new[b0 + k] if b0 + k < b1 else None
            change = "changed" if left and right else ("removed" if left else "added")
            rows.append({"old": left, "new": right, "change": change})
    return rows


def _identity(item: dict[str, JSON]) -> str:
    """What makes two items the same turn: a message's role, a call's tool, a run's id."""
    if item.get("type") == "message":
        return f"message {item.get('role')}"
    if item.get("type") == "tool_call":
        return f"call {item.get('kind')} {item.get('name')}"
    return f"run {item.get('id')}"


def _content(item: dict[str, JSON]) -> JSON:
    return {k: v for k, v in item.items() if k not in _VOLATILE}


def comparison_html(title: str, old_label: str, new_label: str, pairs: Sequence[Compared]) -> str:
    """The page for several compared pairs of conversations."""
    changed = sum(1 for p in pairs if p.status != "same")
    files = []
    for pair in pairs:
        old_items = pair.old["items"] if pair.old else []
        new_items = pair.new["items"] if pair.new else []
        files.append(
            {
                "name": pair.name,
                "status": pair.status,
                "changes": [{"kind": k, "section": s, "line": t} for k, s, t in pair.lines],
                # an unchanged pair is named, not drawn: the page is about what changed
                "rows": side_by_side(old_items, new_items) if pair.status != "same" else [],
                "old_files": pair.old["files"] if pair.old else {},
                "new_files": pair.new["files"] if pair.new else {},
            }
        )
    return render_page(
        {
            "kind": "diff",
            "title": title,
            "headline": f"{changed} of {len(pairs)} differ" if changed else "equivalent",
            "old": old_label,
            "new": new_label,
            "files": files,
        }
    )


def diff_html(report: DiffReport) -> str:
    """`harness diff --format html`: each cassette's two conversations side by side."""
    pairs = []
    for file in report.files:
        read_old, read_new = file.sides
        old = conversation(read_old(), f"{report.old}/{file.name}") if read_old else None
        new = conversation(read_new(), f"{report.new}/{file.name}") if read_new else None
        lines = tuple((c.kind, c.section, _line(c)) for c in file.changes)
        pairs.append(Compared(file.name, file.status, lines, old, new))
    title = f"harness diff {report.old} {report.new}: {headline(report)}"
    return comparison_html(title, report.old, report.new, pairs)


def _line(change: Change) -> str:
    parts = [change.subject]
    if change.kind != "added":
        parts.append(_short(change.old))
    if change.kind == "changed":
        parts.append("\u2192")
    if change.kind != "removed":
        parts.append(_short(change.new))
    for edit in change.edits:
        parts.append(f"[{edit.op} {edit.path}]")
    return " ".join(parts)


def _short(value: JSON, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def parity_html(report: ParityReport, old: Path, new: Path) -> str:
    """`harness parity --format html`: each pair of recordings side by side, with the parity
    differences (in the conversation view's words) as its change lines."""
    old_side, old_folder = local_side(old)
    new_side, _ = local_side(new)
    if not old_folder:
        old_side = {new.name: old_side[old.name]}
    compared = []
    for pair in report.pairs:
        read_old, read_new = old_side.get(pair.name), new_side.get(pair.name)
        status = {"old": "added", "new": "removed"}.get(pair.missing or "", "")
        status = status or ("same" if pair.same else "changed")
        lines = tuple(("changed", d.aspect, sentence(d)) for d in pair.differences)
        compared.append(
            Compared(
                pair.name,
                status,
                lines,
                conversation(read_old(), pair.name) if read_old else None,
                conversation(read_new(), pair.name) if read_new else None,
            )
        )
    title = f"harness parity {report.old} {report.new}"
    return comparison_html(title, report.old, report.new, compared)
