"""Fault specs as text, and the matrix `faults="each"` draws from a recording."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cassette.storage import read_cassette
from harness.errors import ConfigError
from harness.faults import Fault, each, parse_fault
from harness.faults.plan import plan
from harness.faults.spec import Target

# The Assistants recordings: `faults="each"` draws its matrix from runs (a response's matrix
# is not drawn yet; its faults are named one by one, tests/faults/test_responses_faults.py).
SEEDS = sorted(
    p
    for p in (Path(__file__).resolve().parents[2] / "cassettes" / "scenarios").glob("*.yaml")
    if not p.name.endswith(".responses.yaml")
)


@pytest.mark.parametrize(
    ("text", "name", "detail", "target"),
    [
        ("failed@run_1", "failed", None, Target("run", 1, "poll", 1)),
        (
            "failed:rate_limit_exceeded@run_2.poll_3",
            "failed",
            "rate_limit_exceeded",
            Target("run", 2, "poll", 3),
        ),
        (
            "incomplete:max_prompt_tokens@run_1",
            "incomplete",
            "max_prompt_tokens",
            Target("run", 1, "poll", 1),
        ),
        ("http429@run_1.submit_2", "http429", None, Target("run", 1, "submit", 2)),
        ("http500@run_1.create", "http500", None, Target("run", 1, "create", None)),
        ("http503@request_12", "http503", None, Target("request", 12)),
        ("cut@stream_2", "cut", None, Target("stream", 2, "event", None)),
        ("cut@stream_1.event_4", "cut", None, Target("stream", 1, "event", 4)),
        ('arguments:{"to": "a@b.c"}@call_1', "arguments", '{"to": "a@b.c"}', Target("call", 1)),
    ],
)
def test_a_spec_reads_back_as_written(
    text: str, name: str, detail: str | None, target: Target
) -> None:
    fault = parse_fault(text)
    assert (fault.name, fault.detail, fault.where) == (name, detail, target)
    assert fault.id == str(fault) == text
    assert parse_fault(fault) is fault


@pytest.mark.parametrize(
    "text",
    [
        "failed",
        "failed@",
        "failed@run_0",
        "failed@run_1.create",
        "http429@call_1",
        "cut@run_1",
        "arguments@run_1",
        "expired:soon@run_1",
        "http500:x@request_1",
        "http500@run_1.create_2",
        "boom@run_1",
        "failed@thread_1",
    ],
)
def test_a_bad_spec_is_one_line_naming_it(text: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_fault(text)
    message = str(raised.value)
    assert "\n" not in message and message.startswith("assistants_faults: ")
    assert repr(text) in message or text in message


@pytest.mark.parametrize("path", SEEDS, ids=[p.stem for p in SEEDS])
def test_every_fault_of_a_recordings_matrix_strikes_it(path: Path) -> None:
    cassette = read_cassette(path)
    matrix = each(cassette)
    assert matrix, "every seed recording has a run to fail"
    assert len({f.id for f in matrix}) == len(matrix)
    assert [f.id for f in each(read_cassette(path))] == [f.id for f in matrix], "stable ids"
    for fault in matrix:
        plan(cassette, [fault], str(path))  # raises for a fault that cannot strike
    with pytest.raises(ConfigError, match="another fault of this test already strikes there"):
        plan(cassette, [matrix[0], matrix[0]], str(path))
    assert {f.kind for f in each(cassette, ["http"])} == {"http"}
    assert {f.name for f in each(cassette, ["expired", "cut"])} <= {"expired", "cut"}


def test_faults_compare_and_hash_by_their_text() -> None:
    assert Fault("failed", "run_1") == parse_fault("failed@run_1")
    assert len({parse_fault("cut@stream_1"), Fault("cut", "stream_1")}) == 1
