"""The syrupy extension: write, pass, fail readably, stay equal across re-recordings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harness.cassette.format import dumps
from harness.cassette.model import Cassette
from harness.snapshot import TranscriptSnapshotExtension, dump, snapshot_text
from harness.transcript import transcript
from tests.transcript.transcript_synth import conversation, find

TEST_FILE = """
from pathlib import Path

from harness.snapshot import transcript_snapshot
from harness.transcript import load

CASSETTE = Path(__file__).parent / "cassettes" / "conversation.yaml"


def test_conversation(snapshot):
    assert load(CASSETTE) == transcript_snapshot(snapshot)


def test_conversation_by_extension_class(snapshot):
    from harness.snapshot import TranscriptSnapshotExtension

    assert load(CASSETTE) == snapshot(extension_class=TranscriptSnapshotExtension)
"""


def _write(pytester: pytest.Pytester, cassette: Cassette) -> Path:
    folder = pytester.path / "cassettes"
    folder.mkdir(exist_ok=True)
    path = folder / "conversation.yaml"
    path.write_text(dumps(cassette), encoding="utf-8")
    return path


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def test_snapshot_update_then_pass_then_readable_failure(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_transcripts=TEST_FILE)
    _write(pytester, conversation())

    first = _run(pytester, "--snapshot-update")
    first.assert_outcomes(passed=2)
    first.stdout.fnmatch_lines(["*2 snapshots generated*"])
    snap_dir = pytester.path / "__snapshots__" / "test_transcripts"
    written = snap_dir / "test_conversation.transcript.yaml"
    assert written.is_file()
    text = written.read_text(encoding="utf-8")
    assert "statuses: [queued, in_progress, completed]" in text
    assert "run_1" in text and "thread_1" in text

    _run(pytester).assert_outcomes(passed=2)

    # re-recorded: new ids, new timestamps, other poll counts -> the snapshot still matches
    _write(pytester, conversation(seed="again", polls=11, start=1_900_000_000, queued_polls=0))
    _run(pytester).assert_outcomes(passed=2)
    assert written.read_text(encoding="utf-8") == text

    # a real change: the only in_progress poll of run_1 is gone
    cassette = conversation(polls=1, queued_polls=0)
    gone = find(cassette, "GET", "/runs/")
    _write(
        pytester,
        Cassette(
            meta={}, interactions=[i for n, i in enumerate(cassette.interactions) if n != gone]
        ),
    )
    failed = _run(pytester)
    failed.assert_outcomes(failed=2)
    failed.stdout.fnmatch_lines(
        [
            "*- *statuses: [[]queued, in_progress, completed[]]*",
            "*+ *statuses: [[]queued, completed[]]*",
        ]
    )

    # --snapshot-update accepts the change, as syrupy users expect
    _run(pytester, "--snapshot-update").stdout.fnmatch_lines(["*2 snapshots updated*"])
    _run(pytester).assert_outcomes(passed=2)
    assert "statuses: [queued, completed]" in written.read_text(encoding="utf-8")


def test_swapped_messages_show_in_the_snapshot_diff() -> None:
    cassette = conversation()
    listing = find(cassette, "GET", "/messages")
    interaction = cassette.interactions[listing]
    body = dict(interaction.response.body, data=interaction.response.body["data"][::-1])
    items = list(cassette.interactions)
    items[listing] = dataclasses.replace(
        interaction, response=dataclasses.replace(interaction.response, body=body)
    )
    before, after = snapshot_text(cassette), snapshot_text(Cassette(interactions=items))
    assert before != after
    index = before.index("  - {id: msg_2, role: assistant")
    assert before.index("  - {id: msg_1, role: user", index) > index
    assert after.index("  - {id: msg_1, role: user") < after.index(
        "  - {id: msg_2, role: assistant"
    )


def test_serializer_accepts_transcripts_cassettes_and_data() -> None:
    cassette = conversation()
    extension = TranscriptSnapshotExtension()
    text = extension.serialize(cassette)
    assert text == extension.serialize(transcript(cassette)) == dump(transcript(cassette).to_data())
    assert dump({"a": "two\nlines", "b": [1, 2]}) == "a: |-\n  two\n  lines\nb: [1, 2]\n"
