"""YAML for files a user hands the harness (cassettes, scenarios, brains): data only.

The harness's formats never need anchors or aliases, and a few hundred bytes
of nested aliases expand into gigabytes (a "billion laughs"), so a document
that uses either is refused with one line naming where. Tags beyond plain
data are refused as any safe loader refuses them.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from harness.errors import HarnessError

_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# An anchor or alias needs `&name` or `*name`; text without either cannot hold one.
_MAYBE_ANCHOR = re.compile(r"[&*][^\s,\[\]{}]")


class YAMLError(HarnessError, ValueError):
    """Text that is not YAML, or YAML that uses what the harness's formats forbid."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class _Loader(_BASE_LOADER):  # type: ignore[misc,valid-type]
    """Refuses a key given twice in one mapping: YAML keeps the last silently, and a
    hand-merged file would lose everything under the first."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if len(mapping) < len(node.value):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise YAMLError(f"key {key!r} given twice (first on line {seen[key]})", line)
                seen[key] = line
        return mapping


_LOADER = _Loader


def load(text: str) -> Any:
    """Parse YAML that holds plain data; raise `YAMLError` for anything else."""
    try:
        if _MAYBE_ANCHOR.search(text):
            _refuse_anchors(text)
        return yaml.load(text, Loader=_LOADER)
    except YAMLError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise YAMLError(f"not valid YAML ({exc.problem or type(exc).__name__})", line) from None
    except yaml.YAMLError as exc:
        raise YAMLError(f"not valid YAML ({str(exc).splitlines()[0]})") from None
    except ValueError as exc:  # characters the reader refuses
        raise YAMLError(f"not valid YAML ({exc})") from None


def _refuse_anchors(text: str) -> None:
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            line = event.start_mark.line + 1 if event.start_mark is not None else None
            raise YAMLError(
                "YAML anchors and aliases are not allowed here (the format never needs them)",
                line,
            )
