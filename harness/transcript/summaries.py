"""Short, aliased summaries of what API objects carry: tool calls, message texts, annotations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from harness.api import deviations
from harness.transcript.aliases import Aliases
from harness.transcript.model import JSON, ToolCall


def as_dict(value: JSON) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def dicts(value: JSON) -> list[dict[str, Any]]:
    """The mappings in `value` when it is a list; nothing otherwise."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def parse_json_text(value: JSON) -> JSON:
    """A JSON string's value when it holds an object or array; the value itself otherwise."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def tool_call(a: Aliases, call: dict[str, Any]) -> ToolCall:
    kind = deviations.label(call.get("type"))
    data: dict[str, JSON] = {}
    inner = as_dict(call.get(kind))
    if kind == "function":
        data["name"] = inner.get("name")
        data["arguments"] = a.deep(parse_json_text(inner.get("arguments")))
        if inner.get("output") is not None:
            data["output"] = a.deep(parse_json_text(inner.get("output")))
    elif kind == "code_interpreter":
        data["input"] = inner.get("input")
        outputs = []
        for out in dicts(inner.get("outputs")):
            if out.get("type") == "logs":
                outputs.append({"logs": out.get("logs")})
            elif out.get("type") == "image":
                outputs.append({"image": a.of(as_dict(out.get("image")).get("file_id"))})
        data["outputs"] = outputs
    elif kind == "file_search":
        data["results"] = [
            {"file": a.of(r.get("file_id")), "name": r.get("file_name")}
            for r in dicts(inner.get("results"))
        ]
    return ToolCall(a.of(call.get("id")) or str(call.get("id")), kind, data)


def message_text(content: JSON) -> str:
    """A message's content parts as one text; non-text parts as `[kind ...]` placeholders.
    Shapes the API does not send read as what they hold (`harness.api.deviations.text`): a
    text given as a list of parts is its text, an unknown part its text or JSON."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    pieces: list[str] = []
    for part in content if isinstance(content, list) else ():
        if not isinstance(part, dict):
            pieces.append(deviations.text(part))
            continue
        kind = part.get("type")
        if kind == "text":
            pieces.append(deviations.text(part.get("text")))
        elif kind == "image_file":
            pieces.append(f"[image_file {as_dict(part.get('image_file')).get('file_id')}]")
        elif kind == "image_url":
            pieces.append(f"[image_url {as_dict(part.get('image_url')).get('url')}]")
        elif kind == "refusal":
            pieces.append(f"[refusal] {part.get('refusal')}")
        else:
            pieces.append(_unknown_part(part))
    return "\n".join(pieces)


def _unknown_part(part: dict[str, Any]) -> str:
    """A part of a kind the API does not send: its text when it has one, else its JSON."""
    kind = part.get("type")
    held = part.get(kind) if isinstance(kind, str) and kind in part else part.get("text")
    if isinstance(held, str) or "value" in as_dict(held):
        return deviations.text(held)
    return json.dumps(part, ensure_ascii=False)


def annotation_summaries(a: Aliases, content: JSON) -> Iterator[dict[str, JSON]]:
    for part in dicts(content):
        held = part.get("text")  # a deviating server's list of text parts: each one's notes
        texts = held if isinstance(held, list) else [held]
        for note in [n for t in texts for n in dicts(as_dict(t).get("annotations"))]:
            kind = note.get("type")
            inner = as_dict(note.get(kind)) if isinstance(kind, str) else {}
            yield {"type": kind, "text": note.get("text"), "file": a.of(inner.get("file_id"))}
