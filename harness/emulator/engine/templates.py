"""Rendering a `say` template into message text plus annotations with matching indices.

A citation reads as the real API's did: the quoted passage, then the marker
`【{message}:{result}†{file name}】`, where `message` is the search output's
position in the model's conversation (`steps.StepRunner._conversation_position`)
and `result` the result's index in that search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from harness.emulator.engine.brain import PLACEHOLDER
from harness.emulator.tools.file_search import Hit, terms

SNIPPET_CHARS = 200


@dataclass
class Gathered:
    """What a run has produced so far, for templates."""

    user_message: str = ""
    assistant_name: str = ""
    outputs: list[tuple[str, str]] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    hits: list[tuple[Hit, str]] = field(default_factory=list)
    searches: int = 0
    search_message: int = 0
    """The last search's output position in the model's conversation (the marker's first
    number)."""
    query: str = ""


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n\s*\n")


def snippet(text: str, query: str = "") -> str:
    """The sentence of `text` sharing most terms with `query` (the first on ties), shortened."""
    wanted = set(terms(query))
    best, best_score = " ".join(text.split()), -1
    for part in _SENTENCE_END.split(text):
        sentence = " ".join(part.split())
        if len(sentence) < 3:
            continue
        score = len(wanted & set(terms(sentence)))
        if score > best_score:
            best, best_score = sentence, score
    if len(best) <= SNIPPET_CHARS:
        return best
    return best[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "..."


def render(template: str, got: Gathered) -> tuple[str, list[dict[str, Any]]]:
    """Text and `file_citation` annotations; start/end index the marker in the text."""
    text = ""
    annotations: list[dict[str, Any]] = []
    pos = 0
    for match in PLACEHOLDER.finditer(template):
        text += template[pos : match.start()]
        pos = match.end()
        name = match.group(1)
        if name == "citations":
            if not got.hits:
                text += "no matching passages were found in the attached files"
            for i, (hit, filename) in enumerate(got.hits):
                if i:
                    text += " "
                text += f'"{snippet(hit.chunk.text, got.query)}"'
                marker = f"【{got.search_message}:{i}†{filename or 'source'}】"
                annotations.append(
                    {
                        "type": "file_citation",
                        "text": marker,
                        "start_index": len(text),
                        "end_index": len(text) + len(marker),
                        "file_citation": {"file_id": hit.chunk.file_id},
                    }
                )
                text += marker
        else:
            text += _value(name, got)
    text += template[pos:]
    return text, annotations


def _value(name: str, got: Gathered) -> str:
    if name == "message":
        return got.user_message
    if name == "assistant":
        return got.assistant_name
    if name == "output":
        return (
            "\n".join(out for _, out in got.outputs)
            + ("\n" if got.outputs and got.logs else "")
            + "\n".join(got.logs)
        )
    if name == "logs":
        return "\n".join(got.logs)
    if name == "results":
        return "\n".join(snippet(hit.chunk.text, got.query) for hit, _ in got.hits)
    if name.startswith("outputs."):
        wanted = name[len("outputs.") :]
        found = [out for fn, out in got.outputs if fn == wanted]
        return found[-1] if found else ""
    return "{{" + name + "}}"
