"""What strict replay reports: the recorded requests a replayed test never made.

Each is named by its operation, its request line and where it is in the cassette
(its interaction number and, when the file has the usual layout, its line).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness import api
from harness.cassette.matching import describe
from harness.cassette.model import Cassette

_SHOWN = 20


def unplayed_message(
    cassette: Cassette, unplayed: Sequence[int], path: Path, record_hint: str
) -> str | None:
    """The strict-replay failure for the interactions at `unplayed` (0-based), or None."""
    if not unplayed:
        return None
    lines = request_lines(path, len(cassette.interactions))
    total = len(cassette.interactions)
    out = [f"{path}: strict replay: {len(unplayed)} of {total} recorded requests were never made:"]
    for index in unplayed[:_SHOWN]:
        request = cassette.interactions[index].request
        found = api.match(request.method, request.path)
        operation = found.name if found is not None else "request"
        where = f"interaction {index + 1}" + (f", line {lines[index]}" if lines else "")
        out.append(f"  {operation}: {describe(request)} ({where})")
    if len(unplayed) > _SHOWN:
        out.append(f"  ... and {len(unplayed) - _SHOWN} more")
    out.append(
        f"The app no longer makes them: fix the app, or re-record the cassette with: {record_hint}"
    )
    return "\n".join(out)


def request_lines(path: Path, count: int) -> list[int] | None:
    """1-based line of each interaction's `- request:` in the file, when it has `count`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    found = [
        number for number, line in enumerate(text.splitlines(), 1) if line.startswith("- request:")
    ]
    return found if len(found) == count else None
