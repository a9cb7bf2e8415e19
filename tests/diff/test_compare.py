"""`harness.diff.compare` over transcripts: equal views give no change, and every difference
between two recordings lands in a named section."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from harness.cassette.storage import read_cassette
from harness.diff import SECTIONS, compare, diff_cassettes
from harness.transcript import transcript

SEEDS = sorted((Path(__file__).resolve().parents[2] / "cassettes" / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations(SEEDS, 2)), ids=lambda p: p.stem)
def test_any_two_different_recordings_give_named_changes(a: Path, b: Path) -> None:
    old, new = read_cassette(a), read_cassette(b)
    assert diff_cassettes(old, old) == []
    changes = diff_cassettes(old, new)
    assert changes
    assert all(c.section in SECTIONS and c.kind in ("added", "removed", "changed") for c in changes)
    assert [c.section for c in changes] == sorted((c.section for c in changes), key=SECTIONS.index)


def test_errors_runs_and_calls_added_and_removed() -> None:
    failures = transcript(read_cassette(next(p for p in SEEDS if p.stem == "failure_paths")))
    data = failures.to_data()
    fewer = {**data, "errors": [], "runs": data["runs"][:1]}
    changes = compare(data, fewer)
    kinds = {(c.section, c.kind) for c in changes}
    assert ("errors", "removed") in kinds and ("runs", "removed") in kinds
    assert ("tool_calls", "removed") not in kinds  # a removed run is one change, not its parts
    (error,) = [c for c in changes if c.section == "errors"]
    assert error.subject == "GET /threads/thread_4 -> 404"
    back = compare(fewer, data)
    assert {(c.section, c.kind) for c in back} >= {("errors", "added"), ("runs", "added")}
