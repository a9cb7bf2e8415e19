"""A syrupy extension that stores a transcript's snapshot view as one readable YAML file per test.

    def test_math_tutor(assistants_cassette, snapshot):
        assert assistants_cassette.transcript() == transcript_snapshot(snapshot)

writes `__snapshots__/<test file>/test_math_tutor.transcript.yaml`; `pytest --snapshot-update`
rewrites it. Order is kept as the transcript gives it (it carries meaning: status timelines,
listings, event sequences); mapping keys keep the transcript's fixed field order, so the file
only changes when the conversation does. Short lists of scalars are written on one line.
"""

from __future__ import annotations

from typing import Any

import yaml
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from harness.cassette.model import Cassette
from harness.transcript import Transcript, transcript

_FLOW_WIDTH = 88


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


class _Dumper(yaml.SafeDumper):
    """Block style, except one-line flow style for short collections of plain scalars."""


def _flow_ok(items: list[Any]) -> bool:
    return all(_scalar(i) and "\n" not in str(i) for i in items) and (
        len(", ".join(map(str, items))) <= _FLOW_WIDTH
    )


def _represent_list(dumper: _Dumper, data: list[Any] | tuple[Any, ...]) -> yaml.Node:
    items = list(data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=_flow_ok(items))


def _represent_dict(dumper: _Dumper, data: dict[Any, Any]) -> yaml.Node:
    flow = bool(data) and _flow_ok([*data.keys(), *data.values()])
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


def _represent_str(dumper: _Dumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(tuple, _represent_list)
_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(str, _represent_str)


def dump(data: Any) -> str:
    """YAML text of plain data, in the layout snapshots use."""
    text: str = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000, indent=2
    )
    return text


def snapshot_text(data: Any) -> str:
    """The snapshot file's text for a transcript, a cassette, or plain data."""
    if isinstance(data, Cassette):
        data = transcript(data)
    if isinstance(data, Transcript):
        data = data.to_data()
    return dump(data)


class TranscriptSnapshotExtension(SingleFileSnapshotExtension):
    """Stores `Transcript.to_data()` (the re-recording-stable view) as YAML."""

    _write_mode = WriteMode.TEXT
    file_extension = "transcript.yaml"

    def serialize(
        self,
        data: Any,
        *,
        exclude: Any = None,
        include: Any = None,
        matcher: Any = None,
    ) -> str:
        return snapshot_text(data)


def transcript_snapshot(snapshot: Any) -> Any:
    """`snapshot` (syrupy's fixture value) switched to the transcript extension."""
    return snapshot.use_extension(TranscriptSnapshotExtension)
