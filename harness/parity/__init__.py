"""One conversation, two APIs: the view an Assistants recording and its Responses port share,
and the differences between two such views (`harness parity`, `assert_same_conversation`).

`view(cassette)` reads either API (or both, when one recording holds both); `compare(old,
new, accept=...)` lists the differences in the view's terms.
"""

from __future__ import annotations

from pathlib import Path

from harness.cassette.model import Cassette
from harness.cassette.storage import read_cassette
from harness.parity.assistants import AssistantsReader
from harness.parity.compare import ACCEPTABLE, Difference, compare
from harness.parity.model import (
    ApiError,
    Citation,
    Conversation,
    Ending,
    Said,
    Settings,
    ToolCall,
    Turn,
    View,
)
from harness.parity.reading import file_names
from harness.parity.responses import ResponsesReader

__all__ = [
    "ACCEPTABLE",
    "ApiError",
    "Citation",
    "Conversation",
    "Difference",
    "Ending",
    "Said",
    "Settings",
    "ToolCall",
    "Turn",
    "View",
    "compare",
    "load",
    "view",
]


def view(cassette: Cassette, *, source: str = "<cassette>") -> View:
    """The conversations `cassette` records, in the view both APIs share."""
    files = file_names(cassette)
    old, new = AssistantsReader(files), ResponsesReader(files)
    old.read(cassette)
    new.read(cassette)
    first, second = old.conversations(), new.conversations()
    spoke = [name for name, convs in (("assistants", first), ("responses", second)) if convs]
    api = "both" if len(spoke) == 2 else spoke[0] if spoke else "none"
    unknown = tuple(dict.fromkeys([*old.unknown, *new.unknown]))
    return View(source, api, tuple(first + second), unknown)


def load(path: str | Path) -> View:
    """Read a cassette file and return its conversation view."""
    return view(read_cassette(Path(path)), source=str(path))
