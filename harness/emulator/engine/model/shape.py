"""What a Chat Completions answer (a completion or a stream chunk) must look like before the
run reads it: the fields the emulator uses, each of the type the API gives it.

`problem(data)` names the first field that is wrong, in a few words, or gives None. The
client turns that into the run's one-line `last_error` with the endpoint's host, so a
server that answers with the wrong types (a string for `choices`, NaN-like floats for
token counts) ends the run with a sentence, never with a traceback of the code that
read it.
"""

from __future__ import annotations

from typing import Any

_TEXT_FIELDS = ("content", "refusal", "role")


def problem(data: dict[str, Any]) -> str | None:
    """The first field of `data` that is not as the API sends it, or None."""
    usage = data.get("usage")
    if usage is not None:
        if not isinstance(usage, dict):
            return f"'usage' {_kind(usage)} instead of an object"
        for name in ("prompt_tokens", "completion_tokens"):
            value = usage.get(name)
            if value is not None and not _count(value):
                return f"'usage.{name}' {_kind(value)} instead of a count"
    choices = data.get("choices")
    if choices is None:
        return None
    if not isinstance(choices, list):
        return f"'choices' {_kind(choices)} instead of a list"
    for i, choice in enumerate(choices):
        if not isinstance(choice, dict):
            return f"'choices[{i}]' {_kind(choice)} instead of an object"
        finish = choice.get("finish_reason")
        if finish is not None and not isinstance(finish, str):
            return f"'choices[{i}].finish_reason' {_kind(finish)} instead of a string"
        for key in ("message", "delta"):
            if key in choice:
                found = _part(choice[key], f"choices[{i}].{key}")
                if found:
                    return found
    return None


def _part(part: Any, where: str) -> str | None:
    if part is None:
        return None
    if not isinstance(part, dict):
        return f"'{where}' {_kind(part)} instead of an object"
    for name in _TEXT_FIELDS:
        value = part.get(name)
        if value is not None and not isinstance(value, str):
            return f"'{where}.{name}' {_kind(value)} instead of a string"
    calls = part.get("tool_calls")
    if calls is None:
        return None
    if not isinstance(calls, list):
        return f"'{where}.tool_calls' {_kind(calls)} instead of a list"
    for i, call in enumerate(calls):
        at = f"{where}.tool_calls[{i}]"
        if not isinstance(call, dict):
            return f"'{at}' {_kind(call)} instead of an object"
        index = call.get("index")
        if index is not None and not _count(index):
            return f"'{at}.index' {_kind(index)} instead of a count"
        if call.get("id") is not None and not isinstance(call["id"], str):
            return f"'{at}.id' {_kind(call['id'])} instead of a string"
        function = call.get("function")
        if function is None:
            continue
        if not isinstance(function, dict):
            return f"'{at}.function' {_kind(function)} instead of an object"
        for name in ("name", "arguments"):
            value = function.get(name)
            if value is not None and not isinstance(value, str):
                return f"'{at}.function.{name}' {_kind(value)} instead of a string"
    return None


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53


def _kind(value: Any) -> str:
    """What a JSON value is, in words, with a short sample of a scalar."""
    if isinstance(value, dict):
        return "is an object"
    if isinstance(value, list):
        return "is a list"
    if isinstance(value, bool):
        return f"is {str(value).lower()}"
    if isinstance(value, str):
        sample = value if len(value) <= 20 else value[:17] + "..."
        return f"is the string {sample!r}"
    return f"is {value!r}"[:40]
