"""Reading the pieces both APIs share: message texts, citations, tool lists, arguments, errors.

Every reader is defensive: a recording from a real server may hold shapes the spec does not,
and the view shows what it cannot read instead of failing on it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from harness.cassette.model import Cassette, Response
from harness.parity.model import JSON, Citation, Ending, Settings
from harness.transcript.summaries import as_dict, dicts

__all__ = [
    "as_dict",
    "citation",
    "dicts",
    "error_code",
    "error_ending",
    "file_names",
    "parse_json",
    "settings",
    "strip_markers",
]

# A citation marker the model writes into the text (`【4:0†notes.md】`): shown by the app,
# but the citation itself is what the view compares.
_MARKER = re.compile(r"【[^】]*】")


def parse_json(value: JSON) -> JSON:
    """A JSON string's value (arguments, outputs); anything else, or text that is not JSON,
    as it is."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def strip_markers(text: str, annotations: list[dict[str, Any]]) -> str:
    """`text` without the citation markers annotations point at."""
    for annotation in annotations:
        marker = annotation.get("text")
        if isinstance(marker, str) and marker:
            text = text.replace(marker, "")
    return _MARKER.sub("", text)


def citation(annotation: dict[str, Any], files: Mapping[str, str]) -> Citation:
    """An annotation of either API as a citation: file by name (`files`: id -> name)."""
    kind = str(annotation.get("type") or "annotation")
    inner = as_dict(annotation.get(kind))  # Assistants nest the details under the type
    file_id = annotation.get("file_id") or inner.get("file_id")
    name = annotation.get("filename") or inner.get("filename") or annotation.get("url")
    if not isinstance(name, str) or not name:
        name = files.get(file_id, file_id) if isinstance(file_id, str) else "?"
    quote = inner.get("quote") if isinstance(inner.get("quote"), str) else None
    return Citation(kind, str(name), quote or None)


def tool_names(tools: JSON) -> tuple[str, ...]:
    """A request's or object's tools: a function by its name, any other tool by its type."""
    names: list[str] = []
    for tool in dicts(tools):
        kind = str(tool.get("type"))
        if kind == "function":
            name = tool.get("name") or as_dict(tool.get("function")).get("name")
            names.append(str(name) if name else "function")
        else:
            names.append(kind)
    return tuple(sorted(names))


def settings(instructions: JSON, tools: JSON) -> Settings:
    if isinstance(instructions, list):  # a prompt's instructions, as input items
        instructions = "\n".join(_text_of(dicts(instructions)))
    text = instructions if isinstance(instructions, str) and instructions else None
    return Settings(text, tool_names(tools))


def _text_of(items: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for item in items:
        content = item.get("content")
        if isinstance(content, str):
            out.append(content)
        for part in dicts(content):
            if isinstance(part.get("text"), str):
                out.append(part["text"])
    return out


def error_ending(response: Response) -> Ending:
    """A request answered with an HTTP error, as the end of the turn it began."""
    body = as_dict(response.body)
    err = as_dict(body.get("error")) or body
    code = err.get("code") or err.get("type")
    detail = f"HTTP {response.status}" + (f" {code}" if isinstance(code, str) and code else "")
    return Ending("refused", detail)


def error_code(response: Response) -> str | None:
    body = as_dict(response.body)
    err = as_dict(body.get("error")) or body
    code = err.get("code") or err.get("type")
    return code if isinstance(code, str) and code else None


def file_names(cassette: Cassette) -> dict[str, str]:
    """File id -> name, from every file object the recording's answers show."""
    names: dict[str, str] = {}

    def visit(obj: JSON) -> None:
        if isinstance(obj, dict):
            if obj.get("object") == "file" and isinstance(obj.get("filename"), str):
                names[str(obj.get("id"))] = obj["filename"]
            for item in dicts(obj.get("data")):
                visit(item)

    for interaction in cassette.interactions:
        visit(interaction.response.body)
    return names
