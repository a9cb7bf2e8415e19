"""`harness diff`: what changed between two recordings of a conversation, as a reviewer reads
it (a new tool call, other arguments, another status path), not as YAML lines.

`diff_cassettes` compares two cassettes; `diff_paths` two files or two folders
of them; `diff_git` a folder of the working tree with the same folder at a git
revision. Each returns a structured `DiffReport`; `harness.diff.render` prints
it as text, Markdown (for a pull-request comment) or JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.cassette.model import Cassette
from harness.diff.compare import SECTIONS, Change, compare
from harness.diff.jsondiff import JSON, Edit, json_edits
from harness.diff.sources import Loader, git_side, local_side, pairs
from harness.errors import ConfigError
from harness.transcript import transcript

__all__ = [
    "SECTIONS",
    "Change",
    "DiffReport",
    "Edit",
    "FileDiff",
    "compare",
    "diff_cassettes",
    "diff_git",
    "diff_paths",
    "json_edits",
]


@dataclass(frozen=True)
class FileDiff:
    """One cassette compared: `status` is same, changed, added (only new) or removed."""

    name: str
    status: str
    changes: tuple[Change, ...] = ()
    sides: tuple[Loader | None, Loader | None] = field(
        default=(None, None), compare=False, repr=False
    )
    """How to read the old and the new cassette again (an HTML report shows both)."""

    def to_data(self) -> dict[str, JSON]:
        return {
            "name": self.name,
            "status": self.status,
            "changes": [c.to_data() for c in self.changes],
        }


@dataclass(frozen=True)
class DiffReport:
    old: str
    new: str
    files: tuple[FileDiff, ...]

    @property
    def equivalent(self) -> bool:
        return all(f.status == "same" for f in self.files)

    @property
    def different(self) -> tuple[FileDiff, ...]:
        return tuple(f for f in self.files if f.status != "same")

    def to_data(self) -> dict[str, JSON]:
        return {
            "old": self.old,
            "new": self.new,
            "equivalent": self.equivalent,
            "files": [f.to_data() for f in self.files],
        }


def diff_cassettes(old: Cassette, new: Cassette) -> list[Change]:
    """What changed in the conversation from `old` to `new` (empty: equivalent)."""
    return compare(transcript(old).to_data(), transcript(new).to_data())


def diff_paths(old: Path, new: Path) -> DiffReport:
    """Two cassettes, or two folders of them paired by path below the folder."""
    old_side, old_folder = local_side(old)
    new_side, new_folder = local_side(new)
    if old_folder != new_folder:
        folder, file = (old, new) if old_folder else (new, old)
        raise ConfigError(f"cannot compare the folder {folder} with the file {file}")
    if not old_folder:  # two files: one pair, whatever their names
        old_side = {new.name: old_side[old.name]}
    return _report(str(old), str(new), old_side, new_side)


def diff_git(revision: str, path: Path) -> DiffReport:
    """The cassettes at `path` as of `revision` (old) against the working tree's (new)."""
    new_side, new_folder = local_side(path) if path.exists() else ({}, True)
    old_side, old_folder, label = git_side(revision, path)
    if not old_folder and not new_folder:
        old_side = {path.name: next(iter(old_side.values()))} if old_side else {}
    return _report(label, str(path), old_side, new_side)


def _report(
    old_name: str, new_name: str, old: dict[str, Loader], new: dict[str, Loader]
) -> DiffReport:
    files: list[FileDiff] = []
    for name, read_old, read_new in pairs(old, new):
        sides = (read_old, read_new)
        if read_old is None:
            files.append(FileDiff(name, "added", sides=sides))
        elif read_new is None:
            files.append(FileDiff(name, "removed", sides=sides))
        else:
            changes = diff_cassettes(read_old(), read_new())
            status = "changed" if changes else "same"
            files.append(FileDiff(name, status, tuple(changes), sides))
    return DiffReport(old_name, new_name, tuple(files))
