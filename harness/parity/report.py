"""`harness parity OLD NEW`: cassettes, or folders of them paired by test name, compared as
conversations; the report a renderer shows."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from harness.diff.sources import local_side, pairs
from harness.parity import compare, view
from harness.parity.compare import Difference
from harness.parity.model import JSON


@dataclass(frozen=True)
class PairResult:
    """One test's two recordings: the differences, or why they could not be compared."""

    name: str
    differences: tuple[Difference, ...]
    missing: str | None = None
    """`old` or `new`: the side that has no recording of this test."""
    unknown: tuple[str, ...] = ()

    @property
    def same(self) -> bool:
        return not self.differences and self.missing is None

    def to_data(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {"name": self.name, "same": self.same}
        if self.missing:
            out["missing"] = self.missing
        out["differences"] = [d.to_data() for d in self.differences]
        if self.unknown:
            out["unread"] = list(self.unknown)
        return out


@dataclass(frozen=True)
class ParityReport:
    old: str
    new: str
    accept: tuple[str, ...]
    pairs: tuple[PairResult, ...]

    @property
    def same(self) -> bool:
        return all(p.same for p in self.pairs)

    def to_data(self) -> dict[str, JSON]:
        return {
            "old": self.old,
            "new": self.new,
            "accepted": list(self.accept),
            "same": self.same,
            "pairs": [p.to_data() for p in self.pairs],
        }


def parity_paths(old: Path, new: Path, accept: Collection[str] = ()) -> ParityReport:
    """Compare two cassettes, or two folders of them paired by their path below the folder."""
    old_side, old_folder = local_side(old)
    new_side, new_folder = local_side(new)
    if old_folder != new_folder:
        from harness.errors import ConfigError

        raise ConfigError(f"give two cassettes or two folders, not one of each: {old}, {new}")
    if not old_folder:  # two files: paired whatever their names
        old_side = {new.name: old_side[old.name]}
    results: list[PairResult] = []
    for name, read_old, read_new in pairs(old_side, new_side):
        if read_old is None or read_new is None:
            results.append(PairResult(name, (), "old" if read_old is None else "new"))
            continue
        a = view(read_old(), source=str(old / name if old_folder else old))
        b = view(read_new(), source=str(new / name if new_folder else new))
        found = tuple(compare(a, b, accept))
        results.append(PairResult(name, found, unknown=tuple(dict.fromkeys(a.unknown + b.unknown))))
    return ParityReport(str(old), str(new), tuple(accept), tuple(results))
