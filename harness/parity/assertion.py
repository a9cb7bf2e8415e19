"""`assert_same_conversation`: migration parity as an assertion in a test."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from harness.cassette.model import Cassette
from harness.errors import ParityError
from harness.parity import compare, load, view
from harness.parity.model import View


def as_view(side: Any, name: str) -> View:
    """A view of `side`: a View, a Cassette, a cassette path, or anything with `cassette()`
    (the `assistants_cassette` fixture)."""
    if isinstance(side, View):
        return side
    if isinstance(side, Cassette):
        return view(side, source=name)
    if isinstance(side, str | Path):
        return load(side)
    cassette = getattr(side, "cassette", None)
    if callable(cassette):
        return view(cassette(), source=str(getattr(side, "path", name)))
    raise TypeError(f"{name}: expected a cassette path, Cassette, View or active cassette")


def assert_same_conversation(old: Any, new: Any, *, accept: Collection[str] = ()) -> None:
    """Fail (`ParityError`, an AssertionError) naming every difference between the
    conversations `old` and `new` record that `accept` (`wording`, `call_order`) allows not."""
    __tracebackhide__ = True
    before, now = as_view(old, "old"), as_view(new, "new")
    found = compare(before, now, accept)
    if found:
        raise ParityError(parity_message(before.source, now.source, found))


def parity_message(old: str, new: str, found: list[Any]) -> str:
    from harness.parity.render import sentence, visible

    lines = [f"{visible(new)} does not hold the conversation {visible(old)} holds:"]
    lines += [f"  {sentence(d)}" for d in found]
    return "\n".join(lines)
