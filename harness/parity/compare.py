"""The differences between two conversation views, each named in the view's terms.

A `Difference` keeps what differs as data (where, which aspect, the value before and now) and
its sentence as parts (plain words, and values to show as code), so every renderer (text,
Markdown, JSON, HTML) words it the same and escapes the values its own way.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace

from harness.parity.model import JSON, Conversation, Said, ToolCall, Turn, View
from harness.parity.wording import (
    Part,
    argument_parts,
    code,
    count,
    files_note,
    listed,
    value_parts,
    with_arguments,
    words,
)

ACCEPTABLE = ("wording", "call_order")
"""Differences a comparison may be told to accept: `wording` (what the assistant answered, in
other words; its citations still count), `call_order` (the order of tool calls within a turn)."""


@dataclass(frozen=True)
class Difference:
    conversation: int | None
    """1-based, when the recordings hold more than one conversation."""
    turn: int | None
    aspect: str
    """conversations, user_messages, turns, said, instructions, tools, call, arguments,
    output, call_order, answer, answers, citations, ending, errors."""
    before: JSON
    now: JSON
    parts: tuple[Part, ...]
    consequences: tuple[str, ...] = ()
    """Aspects of the same turn that differ because of this one (a call not made, an output
    not sent back changes the answer and the ending): named here, not listed on their own."""

    @property
    def where(self) -> str:
        places = []
        if self.conversation is not None:
            places.append(f"conversation {self.conversation}")
        if self.turn is not None:
            places.append(f"turn {self.turn}")
        return ", ".join(places)

    @property
    def message(self) -> str:
        """The sentence with values as they are (renderers escape them)."""
        body = "".join(text for _, text in self.parts)
        return f"{self.where}: {body}" if self.where else body

    def to_data(self) -> dict[str, JSON]:
        return {
            "conversation": self.conversation,
            "turn": self.turn,
            "aspect": self.aspect,
            "before": self.before,
            "now": self.now,
            "message": self.message,
            "consequences": list(self.consequences),
        }


def compare(old: View, new: View, accept: Collection[str] = ()) -> list[Difference]:
    """Every difference between `old` and `new` that `accept` does not excuse."""
    unknown = sorted(set(accept) - set(ACCEPTABLE))
    if unknown:
        from harness.errors import ConfigError

        raise ConfigError(
            f"unknown accepted difference {unknown[0]!r}; choose from {', '.join(ACCEPTABLE)}"
        )
    return list(_Comparison(set(accept)).views(old, new))


class _Comparison:
    def __init__(self, accept: set[str]) -> None:
        self.accept = accept
        self.conversation: int | None = None
        self.turn: int | None = None

    def diff(self, aspect: str, before: JSON, now: JSON, *parts: Part) -> Difference:
        return Difference(self.conversation, self.turn, aspect, before, now, parts)

    def views(self, old: View, new: View) -> Iterator[Difference]:
        a, b = old.conversations, new.conversations
        if len(a) != len(b):
            yield self.diff(
                "conversations",
                len(a),
                len(b),
                words(f"the old app held {count(len(a), 'conversation')}, the new one {len(b)}"),
            )
        several = max(len(a), len(b)) > 1
        for index, (x, y) in enumerate(zip(a, b, strict=False), 1):
            self.conversation = index if several else None
            yield from self.conversations(x, y)

    def conversations(self, old: Conversation, new: Conversation) -> Iterator[Difference]:
        self.turn = None
        if old.user_messages != new.user_messages:
            yield self.diff(
                "user_messages",
                old.user_messages,
                new.user_messages,
                words(
                    f"the old app sent {count(old.user_messages, 'user message')}, "
                    f"the new one {new.user_messages}"
                ),
            )
        if len(old.turns) != len(new.turns):
            yield self.diff(
                "turns",
                len(old.turns),
                len(new.turns),
                words(f"the old conversation has {count(len(old.turns), 'turn')}, "),
                words(f"the new one {len(new.turns)}"),
            )
        if [str(e) for e in old.errors] != [str(e) for e in new.errors]:
            yield self.diff(
                "errors",
                [str(e) for e in old.errors],
                [str(e) for e in new.errors],
                words("requests about the conversation failed with "),
                *listed([str(e) for e in old.errors]),
                words(" before, and with "),
                *listed([str(e) for e in new.errors]),
                words(" now"),
            )
        for index, (x, y) in enumerate(zip(old.turns, new.turns, strict=False), 1):
            self.turn = index
            yield from self.turns(x, y)

    def turns(self, old: Turn, new: Turn) -> Iterator[Difference]:
        yield from self.said(old.said, new.said)
        yield from self.settings(old, new)
        if old.builtins_seen and new.builtins_seen:
            calls = list(self.calls(old.calls, new.calls))
        else:
            calls = list(self.calls(_functions(old.calls), _functions(new.calls)))
        after = (
            list(self.answers(old.answers, new.answers))
            if old.answers_seen and new.answers_seen
            else []
        )
        after += self.ending(old, new)
        causes = [i for i, d in enumerate(calls) if _breaks_the_loop(d)]
        if causes and after:
            named = sorted({_CONSEQUENCES[d.aspect] for d in after}, reverse=True)
            cause = calls[causes[-1]]
            note = words(
                f" (so {' and '.join(named)} {'differ' if len(named) > 1 else 'differs'} too)"
            )
            calls[causes[-1]] = replace(
                cause, parts=(*cause.parts, note), consequences=tuple(d.aspect for d in after)
            )
            after = []
        yield from calls
        yield from after

    def ending(self, old: Turn, new: Turn) -> list[Difference]:
        if old.ending != new.ending:
            return [
                self.diff(
                    "ending",
                    str(old.ending),
                    str(new.ending),
                    words("the turn ended "),
                    code(str(old.ending)),
                    words(" before, and "),
                    code(str(new.ending)),
                    words(" now"),
                )
            ]
        return []

    def said(self, old: tuple[Said, ...], new: tuple[Said, ...]) -> Iterator[Difference]:
        a = [(s.role, s.text, s.files) for s in old]
        b = [(s.role, s.text, s.files) for s in new]
        if a == b:
            return
        users = all(s.role == "user" for s in (*old, *new))

        def shown(said: tuple[Said, ...]) -> list[Part]:
            return listed([("" if users else f"{s.role}: ") + s.text + files_note(s) for s in said])

        yield self.diff(
            "said",
            [s.to_data() for s in old],
            [s.to_data() for s in new],
            words("the user said " if users else "the app sent "),
            *shown(old),
            words(" before, and "),
            *shown(new),
            words(" now"),
        )

    def settings(self, old: Turn, new: Turn) -> Iterator[Difference]:
        a = [s.instructions for s in old.settings]
        b = [s.instructions for s in new.settings]
        if a != b:
            yield self.diff(
                "instructions",
                a,
                b,
                words("instructions differ: "),
                *listed(["none" if i is None else i for i in a]),
                words(" before, "),
                *listed(["none" if i is None else i for i in b]),
                words(" now"),
            )
        tools_a = [list(s.tools) for s in old.settings]
        tools_b = [list(s.tools) for s in new.settings]
        if tools_a != tools_b:
            yield self.diff(
                "tools",
                tools_a,
                tools_b,
                words("tools differ: "),
                *listed([", ".join(t) or "none" for t in tools_a]),
                words(" before, "),
                *listed([", ".join(t) or "none" for t in tools_b]),
                words(" now"),
            )

    def calls(self, old: tuple[ToolCall, ...], new: tuple[ToolCall, ...]) -> Iterator[Difference]:
        pairs, only_old, only_new = _pair_calls(old, new)
        for i in only_old:
            call = old[i]
            tail = "answered without a tool call now" if not new else "did not call it now"
            yield self.diff(
                "call",
                call.to_data(),
                None,
                words("the assistant called "),
                code(call.label),
                *with_arguments(call),
                words(f" before, and {tail}"),
            )
        for j in only_new:
            call = new[j]
            tail = "answered without a tool call before" if not old else "did not call it before"
            yield self.diff(
                "call",
                None,
                call.to_data(),
                words("the assistant called "),
                code(call.label),
                *with_arguments(call),
                words(f" now, and {tail}"),
            )
        for i, j in pairs:
            yield from self.call(old[i], new[j])
        order = [j for _, j in sorted(pairs)]
        if order != sorted(order) and "call_order" not in self.accept:
            before = [old[i].label for i, _ in sorted(pairs)]
            now = [new[j].label for _, j in sorted(pairs, key=lambda p: p[1])]
            yield self.diff(
                "call_order",
                before,
                now,
                words("tools were called in the order "),
                code(", ".join(before)),
                words(" before, and "),
                code(", ".join(now)),
                words(" now"),
            )

    def call(self, old: ToolCall, new: ToolCall) -> Iterator[Difference]:
        if old.arguments != new.arguments:
            yield self.diff(
                "arguments",
                old.arguments,
                new.arguments,
                *argument_parts(old, new),
            )
        if old.output != new.output:
            yield self.diff(
                "output",
                old.output,
                new.output,
                code(old.label),
                words(" returned "),
                *(value_parts(old.output)),
                words(" before, and "),
                *(value_parts(new.output)),
                words(" now"),
            )

    def answers(self, old: tuple[Said, ...], new: tuple[Said, ...]) -> Iterator[Difference]:
        if len(old) != len(new):
            yield self.diff(
                "answers",
                [s.text for s in old],
                [s.text for s in new],
                words(
                    f"the assistant answered {count(len(old), 'message')} before, "
                    f"and {len(new)} now"
                ),
            )
        for x, y in zip(old, new, strict=False):
            if x.text != y.text and "wording" not in self.accept:
                yield self.diff(
                    "answer",
                    x.text,
                    y.text,
                    words("the assistant answered "),
                    code(x.text),
                    words(" before, and "),
                    code(y.text),
                    words(" now"),
                )
            a = [c.to_data() for c in x.citations]
            b = [c.to_data() for c in y.citations]
            if _citations(x) != _citations(y):
                yield self.diff(
                    "citations",
                    a,
                    b,
                    words("the answer cited "),
                    *listed([c.file for c in x.citations]),
                    words(" before, and "),
                    *listed([c.file for c in y.citations]),
                    words(" now"),
                )


_CONSEQUENCES = {
    "answers": "the turn's answer",
    "answer": "the turn's answer",
    "citations": "the turn's answer",
    "ending": "how the turn ended",
}


def _breaks_the_loop(difference: Difference) -> bool:
    """A call made on one side only, or an output one side never sent back."""
    if difference.aspect == "call":
        return True
    return difference.aspect == "output" and None in (difference.before, difference.now)


def _functions(calls: tuple[ToolCall, ...]) -> tuple[ToolCall, ...]:
    return tuple(c for c in calls if c.kind == "function")


def _citations(said: Said) -> list[tuple[str, str]]:
    """What citations compare on: kind and file (a quote only one API records is left out)."""
    return [(c.kind, c.file) for c in said.citations]


def _pair_calls(
    old: tuple[ToolCall, ...], new: tuple[ToolCall, ...]
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Old and new calls paired by tool (equal arguments first), and those left over."""
    free = set(range(len(new)))
    pairs: list[tuple[int, int]] = []
    for exact in (True, False):
        for i, call in enumerate(old):
            if any(p[0] == i for p in pairs):
                continue
            for j in sorted(free):
                other = new[j]
                if other.label == call.label and (not exact or other.arguments == call.arguments):
                    pairs.append((i, j))
                    free.discard(j)
                    break
    matched = {i for i, _ in pairs}
    return pairs, [i for i in range(len(old)) if i not in matched], sorted(free)
