"""Cassette -> transcript: the conversation a cassette records, with volatile values normalized.

Every id becomes an alias by kind and first appearance (`asst_1`, `thread_1`, `msg_3`, `run_2`,
`step_1`, `call_1`, `file_1`, `vs_1`, `vsfb_1`), also where it appears inside texts, paths,
arguments and error messages. Timestamps become ranks: `created` is the dense rank of
`created_at` among the objects of one kind, so order and ties survive, absolute values do not.
Token usage is kept only with `transcript(cassette, usage=True)`.

Two views, one structure. `Transcript.to_data()` is the *snapshot view*: what stays equal when
a scenario is re-recorded. It keeps every status a run was observed in and their order
(`[queued, in_progress, completed]`), but not how often each was observed: the number of polls
depends on timing, so it is left out, while dropping a status entirely (the only `in_progress`
poll, say) changes the view. The same rule holds for runs of identical consecutive SSE events
(the number of `thread.message.delta` chunks depends on the model) and for consecutive repeats of
the same request in `requests`. Timestamp ranks are left out too (two messages created in one
second tie in one recording and not in the next). `Transcript.to_data(detail=True)` adds the
counts, the ranks and the alias -> real id table; `Transcript.to_json()` is that as the JSON
`harness transcript` prints.
"""

from __future__ import annotations

from pathlib import Path

from harness.cassette.model import Cassette
from harness.cassette.storage import read_cassette
from harness.transcript.build import build
from harness.transcript.model import (
    ErrorEntry,
    ListedItem,
    Listing,
    Message,
    Resource,
    RunEvent,
    RunTimeline,
    StatusSpan,
    Step,
    Stream,
    StreamEvent,
    Submission,
    ToolCall,
    Transcript,
)

__all__ = [
    "ErrorEntry",
    "ListedItem",
    "Listing",
    "Message",
    "Resource",
    "RunEvent",
    "RunTimeline",
    "StatusSpan",
    "Step",
    "Stream",
    "StreamEvent",
    "Submission",
    "ToolCall",
    "Transcript",
    "load",
    "transcript",
]


def transcript(
    cassette: Cassette, *, source: str = "<cassette>", usage: bool = False
) -> Transcript:
    """The normalized conversation a cassette records."""
    return build(cassette, source, usage)


def load(path: str | Path, *, usage: bool = False) -> Transcript:
    """Read a cassette file and return its transcript."""
    return transcript(read_cassette(Path(path)), source=str(path), usage=usage)
