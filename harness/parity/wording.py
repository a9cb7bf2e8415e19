"""How a difference is worded: sentence parts (plain words, and values shown as code) that
every renderer escapes its own way."""

from __future__ import annotations

import json

from harness.parity.model import JSON, Said, ToolCall

Part = tuple[str, str]
"""("text", words) or ("code", a value to show verbatim)."""
_LIMIT = 160


def code(value: JSON) -> Part:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return ("code", text if len(text) <= _LIMIT else text[: _LIMIT - 1] + "…")


def words(text: str) -> Part:
    return ("text", text)


def argument_parts(old: ToolCall, new: ToolCall) -> list[Part]:
    parts: list[Part] = [words("the assistant called "), code(old.label)]
    a, b = old.arguments, new.arguments
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return [
            *parts,
            *with_arguments(old),
            words(" before, and"),
            *with_arguments(new),
            words(" now"),
        ]
    gone = [k for k in a if k not in b]
    added = [k for k in b if k not in a]
    changed = [k for k in a if k in b and a[k] != b[k]]
    clauses: list[list[Part]] = []
    if gone:
        clauses.append([words(" with "), *listed(gone), words(" before, and without now")])
    if added:
        clauses.append([words(" with "), *listed(added), words(" now, and without before")])
    for key in changed:
        before = [words(" with "), code(key), words(" = "), code(a[key])]
        clauses.append([*before, words(" before, and "), code(b[key]), words(" now")])
    for index, clause in enumerate(clauses):
        parts += ([words(";")] if index else []) + clause
    return parts


def with_arguments(call: ToolCall) -> list[Part]:
    return [words(" with "), code(call.arguments)] if call.arguments is not None else []


def value_parts(value: JSON) -> list[Part]:
    return [words("nothing")] if value is None else [code(value)]


def files_note(said: Said) -> str:
    return f" (files: {', '.join(said.files)})" if said.files else ""


def listed(values: list[str]) -> list[Part]:
    """Values as code, separated by commas; `nothing` for none."""
    if not values:
        return [words("nothing")]
    parts: list[Part] = []
    for index, value in enumerate(values):
        if index:
            parts.append(words(", then " if index == len(values) - 1 else ", "))
        parts.append(code(value))
    return parts


def count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
