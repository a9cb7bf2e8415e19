"""What a brain hands the run engine: actions, the `Script` that yields them one at a time,
and the `RunView` through which a script reads its run while it goes on.

The engine asks a run's script for its next action (`Script.next_action(view)`)
until it answers None, carrying out each one as run steps (`steps.py`) before
asking again, so a script that decides as it goes (the model brain) sees the
results of earlier actions in the run's steps: function outputs, code logs,
search results.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Protocol

Obj = dict[str, Any]


@dataclass(frozen=True)
class FunctionCall:
    name: str
    arguments: str
    id: str | None = None
    """The call id to show (a model's own); None: the emulator makes one."""


def _no_annotations(text: str) -> list[Obj]:
    return []


@dataclass
class Reply:
    """Message text written verbatim (no templates) as its pieces arrive.

    `annotate(text)` gives the annotations of the text so far (complete markers
    only). The producer sets `ended` once the pieces are over: `stop`, `length`
    (the message is left incomplete: `max_tokens`) or `error` (the message is
    left in progress for the run's failure to close).
    """

    pieces: AsyncIterator[str]
    annotate: Callable[[str], list[Obj]] = _no_annotations
    ended: str = "stop"


@dataclass(frozen=True)
class CallPiece:
    """A piece of a function call as a model streams it: a call's first piece names it (`id`,
    `name`), the others carry `arguments` text; `index` is the call's place in its step."""

    index: int
    arguments: str = ""
    id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Action:
    """One thing a run does: kind is call/stream_calls/code/search/say/reply/wait/fail/
    incomplete.

    `stream_calls` writes `call_pieces` into a new tool_calls step as they arrive and leaves
    the step open; the `call` action that follows finishes that step (adding the calls it
    does not show yet) and waits for the outputs.
    """

    kind: str
    calls: tuple[FunctionCall, ...] = ()
    text: str | None = None
    seconds: float = 0.0
    code: str = "server_error"
    reply: Reply | None = None
    call_pieces: AsyncIterator[CallPiece] | None = None


class RunView(Protocol):
    """A run as its script may read it while it goes on: live views, not copies."""

    @property
    def run(self) -> Obj:
        """The run object: instructions, tools, tool_choice, response_format, limits."""
        ...

    @property
    def assistant(self) -> Obj: ...

    @property
    def streaming(self) -> bool:
        """Whether a client is streaming the run right now."""
        ...

    def history(self) -> list[Obj]:
        """The thread's messages from before this run, oldest first."""
        ...

    def steps(self) -> list[Obj]:
        """This run's steps so far, oldest first (search results with their content)."""
        ...

    def earlier_steps(self, run_id: str) -> list[Obj]:
        """The steps of an earlier run of the thread, oldest first ([] for any other id)."""
        ...

    def message(self, message_id: str) -> Obj | None: ...

    def file(self, file_id: str) -> tuple[str, bytes] | None:
        """A stored file's name and bytes."""
        ...

    def code_files(self) -> list[str]:
        """The names of the files a code_interpreter call of this run finds."""
        ...

    def charge(self, prompt_tokens: int, completion_tokens: int) -> None:
        """Report a model answer's usage: the steps it makes and the run count it."""
        ...

    def charge_later(self) -> None:
        """The step about to end belongs to an answer whose usage is not reported yet: it
        shows the next `charge` once that comes."""
        ...


class Script(Protocol):
    """What one run does, decided an action at a time (after each action, the run's state
    may have changed: tool outputs arrived, code ran)."""

    @property
    def expires_in(self) -> float | None: ...

    async def next_action(self, view: RunView) -> Action | None:
        """The next action, or None when the run is done."""
        ...
