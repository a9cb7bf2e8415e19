"""A model answer being read, and what of it a streaming client is shown as it arrives.

Text is shown piece by piece. Function calls are shown too while every call so far is a
function of the run: a call once its name is whole, with the id its client will answer
to, then each piece of its arguments as the model streams it. A call to a builtin tool
(carried out as a step of its own) or to a tool the run does not have ends the showing
of calls; the answer is still read to its end and carried out, or refused, once whole.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from harness.emulator.engine.model import client
from harness.emulator.engine.model.answer import Answer, ToolCall
from harness.emulator.engine.model.request import Toolbox
from harness.emulator.engine.script import CallPiece, Obj, Reply

Shown = str | CallPiece


@dataclass
class Turn:
    """An answer being read: its source of chunks, what has arrived and what was shown.

    `box` is None when nobody streams the run: its calls are then not shown as they come.
    """

    answer: Answer
    source: AsyncIterator[Obj]
    box: Toolbox | None
    seed: str
    """What the ids made for its calls are drawn from: the run and the answer's number."""
    error: client.EndpointError | None = None
    charged: bool = False
    reply: Reply | None = None
    """The message its text is written into, as it arrives."""
    calls_next: CallPiece | None = None
    """A call's first piece, read as the text ended: the calls are shown next."""
    step: int | None = None
    """Where the step its calls are shown in stands among the run's steps."""
    places: dict[int, int] = field(default_factory=dict)
    """The shown calls: the model's index of each, to its place in the step."""
    sent: dict[int, int] = field(default_factory=dict)
    """How much of each shown call's arguments was shown, by the model's index."""
    showing_calls: bool = True
    unread: deque[Shown] = field(default_factory=deque)

    async def next_shown(self) -> Shown | None:
        """The next piece to show, of text or of a function call; None once the answer ends."""
        while not self.unread:
            try:
                data = await anext(self.source)
            except StopAsyncIteration:
                self._show_calls(whole=True)
                break
            text = self.answer.feed(data)
            if text:
                self.unread.append(text)
            self._show_calls(whole=False)
        return self.unread.popleft() if self.unread else None

    def _show_calls(self, *, whole: bool) -> None:
        """Queue the new pieces of the function calls; a call waits until its name is whole
        (the answer being whole makes every name whole)."""
        if self.box is None:
            return
        for index, call in self.answer.calls.items():
            if not self.showing_calls:
                return
            if index not in self.places:
                if not (call.named or whole):
                    continue
                if self.box.kinds.get(call.name) != "function":
                    self.showing_calls = False
                    return
                self._open(index, call)
            sent = self.sent[index]
            if len(call.arguments) > sent:
                self.unread.append(CallPiece(self.places[index], call.arguments[sent:]))
                self.sent[index] = len(call.arguments)

    def _open(self, index: int, call: ToolCall) -> None:
        shown_ids = {self.answer.calls[i].id for i in self.places}
        if not call.id or call.id in shown_ids:
            call.id = self._made_id(sorted(self.answer.calls).index(index))
        self.places[index] = len(self.places)
        self.sent[index] = 0
        self.unread.append(CallPiece(self.places[index], id=call.id, name=call.name))

    def name_calls(self) -> list[ToolCall]:
        """The answer's calls in the model's order, each with an id of its own: a call
        without one (or with one an earlier call has) is given one; a shown call keeps the
        id its client saw."""
        calls = sorted(self.answer.calls.items())
        seen = {self.answer.calls[i].id for i in self.places}
        for position, (index, call) in enumerate(calls):
            if index in self.places:
                continue
            if not call.id or call.id in seen:
                call.id = self._made_id(position)
            seen.add(call.id)
        return [call for _, call in calls]

    def _made_id(self, position: int) -> str:
        digest = hashlib.sha256(f"{self.seed}:{position}".encode()).hexdigest()
        return "call_" + digest[:24]
