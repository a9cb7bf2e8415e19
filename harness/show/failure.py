"""The trace page a marked test writes when it fails (or always, if asked).

A failed recording's page goes beside the `<name>.failed.yaml` it keeps (`<name>.failed.html`);
any other page goes under pytest's temporary folder (`<basetemp>/assistants-traces/`). A replay
that met a request the cassette does not hold shows where the conversation left the
recording: the interactions it served, the ones it never reached, and the unmatched request.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from harness.cassette.naming import file_stem
from harness.cassette.storage import failed_path, write_atomic
from harness.errors import UnmatchedRequestError
from harness.show.render import render_page
from harness.show.view import Departure, trace_data

if TYPE_CHECKING:
    from harness.active import ActiveCassette

TRACE_FOLDER = "assistants-traces"


def wanted(mode: str, failed: bool) -> bool:
    """Whether a test that ended so writes its page under `mode` (`TRACE_MODES`)."""
    return mode == "always" or (mode == "on-failure" and failed)


def trace_path(active: ActiveCassette, nodeid: str, failed: bool, temporary: Path) -> Path:
    """Where the page of this test goes (`temporary`: pytest's base temporary folder)."""
    if active.recording and failed and not active.drift:
        failed_take = failed_path(active.path)
        return failed_take.with_suffix(".html")
    redact = active.session.interception.redactor.text
    return temporary / TRACE_FOLDER / (file_stem(nodeid, redact(nodeid)) + ".html")


def write_trace(active: ActiveCassette, nodeid: str, outcome: str, temporary: Path) -> Path:
    """Write the test's trace page; returns its path."""
    failed = outcome != "passed"
    path = trace_path(active, nodeid, failed, temporary)
    cassette = active.cassette()
    data = trace_data(cassette, str(active.path), departure=_departure(active), outcome=outcome)
    data["title"] = f"{nodeid} ({outcome}): {active.path}"
    write_atomic(path, render_page(data))
    return path


def forget_failed_trace(active: ActiveCassette) -> None:
    """A recording that now passed leaves no page of an earlier failed take behind (as the
    failed take itself is removed)."""
    if active.recording and not active.drift:
        with contextlib.suppress(FileNotFoundError):
            failed_path(active.path).with_suffix(".html").unlink()


def _departure(active: ActiveCassette) -> Departure | None:
    missed = [m for m in active.session.misses if isinstance(m, UnmatchedRequestError)]
    if not missed:
        return None
    player = active.session.player
    played = tuple(player.played()) if player is not None and active.overlay is None else ()
    return Departure(missed[0].request, str(missed[0]), played)
