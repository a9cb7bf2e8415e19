"""The conversation view common to the Assistants and Responses APIs, as small frozen values.

A `View` holds the conversations one recording holds (a thread, or a chain of responses or a
Conversations API conversation), each a sequence of `Turn`s: what the user sent, which tools
the assistant called with which arguments and what they returned, what the assistant answered
(text and citations by file name), how the turn ended, and the settings (instructions, tools)
it ran under. Ids, timestamps, object kinds, polling and streaming are not part of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JSON = Any


@dataclass(frozen=True)
class Citation:
    """An answer citing a file; `quote` is the cited passage where the API records one."""

    kind: str
    """`file_citation`, `file_path`, `url_citation`, or what an unknown annotation says."""
    file: str
    """The file's name (its id when the recording never names it), or the URL."""
    quote: str | None = None

    def to_data(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {"kind": self.kind, "file": self.file}
        if self.quote is not None:
            out["quote"] = self.quote
        return out


@dataclass(frozen=True)
class Said:
    """One message: what the user (or the app in the assistant's name) sent, or an answer."""

    role: str
    text: str
    files: tuple[str, ...] = ()
    """Attached files, by name."""
    citations: tuple[Citation, ...] = ()

    def to_data(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {"role": self.role, "text": self.text}
        if self.files:
            out["files"] = list(self.files)
        if self.citations:
            out["citations"] = [c.to_data() for c in self.citations]
        return out


NOT_RETURNED = None
"""A tool call's `output` when the app never sent one back."""


@dataclass(frozen=True)
class ToolCall:
    """A tool the assistant called: `function` (with its name and parsed arguments),
    `code_interpreter` (the code as `arguments`), `file_search`, or an unknown kind as named.
    `output` is what came back: the function's output as sent (parsed when it is JSON), the
    interpreter's logs; None when nothing did."""

    kind: str
    name: str | None
    arguments: JSON
    output: JSON = NOT_RETURNED

    @property
    def label(self) -> str:
        return self.name if self.kind == "function" and self.name else self.kind

    def to_data(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {"kind": self.kind}
        if self.name is not None:
            out["name"] = self.name
        if self.arguments is not None:
            out["arguments"] = self.arguments
        out["output"] = self.output
        return out


@dataclass(frozen=True)
class Ending:
    """How a turn ended: `completed`, `needed a tool` (calls left unanswered), `failed`
    (`detail`: the error code), `cancelled`, `expired`, `incomplete` (`detail`: the reason),
    `refused` (the request was answered with an HTTP error; `detail`: status and code) or
    `unfinished` (the recording stops before the turn ends)."""

    state: str
    detail: str | None = None

    def __str__(self) -> str:
        return f"{self.state} ({self.detail})" if self.detail else self.state

    def to_data(self) -> JSON:
        return str(self)


@dataclass(frozen=True)
class Settings:
    """What a turn ran under: its instructions and the tools it offered (sorted; a function
    by its name, any other tool by its type)."""

    instructions: str | None
    tools: tuple[str, ...]

    def to_data(self) -> dict[str, JSON]:
        return {"instructions": self.instructions, "tools": list(self.tools)}


@dataclass(frozen=True)
class Turn:
    """What happened from one input of the user's to the assistant's last word on it."""

    said: tuple[Said, ...]
    """What the app sent before the turn: the user's messages (and any it wrote itself)."""
    settings: tuple[Settings, ...]
    """The settings of the turn's model calls, consecutive repeats merged (usually one)."""
    calls: tuple[ToolCall, ...]
    answers: tuple[Said, ...]
    ending: Ending
    builtins_seen: bool = True
    """Whether the recording shows the turn's built-in tool calls (code_interpreter,
    file_search): a polled Assistants run shows them only in run steps, which an app may never
    list. Where either side does not show them, they are not compared."""
    answers_seen: bool = True
    """Whether the recording shows the turn's answers: an Assistants app that never lists a
    run's messages leaves them unrecorded. Where either side does not, they are not compared."""

    def to_data(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {"said": [s.to_data() for s in self.said]}
        out["settings"] = [s.to_data() for s in self.settings]
        if self.calls:
            out["calls"] = [c.to_data() for c in self.calls]
        if not self.builtins_seen:
            out["builtin_calls"] = "not recorded"

        out["answers"] = (
            [a.to_data() for a in self.answers] if self.answers_seen else "not recorded"
        )
        out["ending"] = self.ending.to_data()
        return out


@dataclass(frozen=True)
class ApiError:
    """A request about the conversation answered with an HTTP error outside any turn."""

    status: int
    code: str | None

    def __str__(self) -> str:
        return f"HTTP {self.status}" + (f" {self.code}" if self.code else "")


@dataclass(frozen=True)
class Conversation:
    turns: tuple[Turn, ...]
    errors: tuple[ApiError, ...] = ()

    @property
    def user_messages(self) -> int:
        return sum(1 for t in self.turns for s in t.said if s.role == "user")

    def to_data(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {"turns": [t.to_data() for t in self.turns]}
        if self.errors:
            out["errors"] = [str(e) for e in self.errors]
        return out


@dataclass(frozen=True)
class View:
    """The conversations of one recording, in the order they began."""

    source: str
    api: str
    """`assistants`, `responses`, `both` or `none` (what the recording spoke)."""
    conversations: tuple[Conversation, ...]
    unknown: tuple[str, ...] = ()
    """Kinds of item the view met and could not read (shown, never fatal)."""

    def to_data(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {
            "source": self.source,
            "api": self.api,
            "conversations": [c.to_data() for c in self.conversations],
        }
        if self.unknown:
            out["unknown"] = list(self.unknown)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_data(), indent=2, ensure_ascii=False)
