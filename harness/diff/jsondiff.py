"""Differences between two JSON values as edits at JSON Pointers (RFC 6901), shaped like
JSON Patch operations: `add`, `remove`, `replace`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JSON = Any


@dataclass(frozen=True)
class Edit:
    op: str
    """`add`, `remove` or `replace`."""
    path: str
    """JSON Pointer into the value (`""` is the whole value)."""
    old: JSON = None
    new: JSON = None

    def to_data(self) -> dict[str, JSON]:
        data: dict[str, JSON] = {"op": self.op, "path": self.path}
        if self.op != "add":
            data["old"] = self.old
        if self.op != "remove":
            data["new"] = self.new
        return data


def json_edits(old: JSON, new: JSON, path: str = "") -> list[Edit]:
    """The edits that turn `old` into `new`: objects key by key, arrays index by index."""
    if isinstance(old, dict) and isinstance(new, dict):
        edits: list[Edit] = []
        for key in old:
            if key not in new:
                edits.append(Edit("remove", _child(path, key), old=old[key]))
            else:
                edits += json_edits(old[key], new[key], _child(path, key))
        edits += [Edit("add", _child(path, k), new=v) for k, v in new.items() if k not in old]
        return edits
    if isinstance(old, list) and isinstance(new, list):
        edits = []
        for index, (a, b) in enumerate(zip(old, new, strict=False)):
            edits += json_edits(a, b, _child(path, index))
        edits += [Edit("remove", _child(path, i), old=old[i]) for i in range(len(new), len(old))]
        edits += [Edit("add", _child(path, i), new=new[i]) for i in range(len(old), len(new))]
        return edits
    if old == new and type(old) is type(new):
        return []
    return [Edit("replace", path, old=old, new=new)]


def _child(path: str, key: str | int) -> str:
    return f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"
