"""Shrink a failing near-miss: drop what does not matter while the handler still fails
and the schema still rejects the arguments for exactly the same reasons.

Near-misses are built on a rich example (every optional property, an item in every
array); the one a handler mishandles is reported without the rest. Greedy and
deterministic: optional keys removed, array items removed, strings emptied and numbers
zeroed, each kept only when the errors (keyword and JSON path) stay the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from harness.fuzz._schema import JSONValue

Path = tuple[str | int, ...]


def _paths(value: JSONValue, path: Path = ()) -> Iterator[Path]:
    yield path
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _paths(sub, (*path, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _paths(sub, (*path, index))


def _get(value: JSONValue, path: Path) -> JSONValue:
    for token in path:
        value = value[token]
    return value


def _without(value: JSONValue, path: Path) -> JSONValue:
    """`value` with the key or item at `path` removed."""
    head, rest = path[0], path[1:]
    if not rest:
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if k != head}
        return [v for i, v in enumerate(value) if i != head]
    if isinstance(value, dict):
        return {**value, head: _without(value[head], rest)}
    copy = list(value)
    copy[head] = _without(copy[head], rest)  # type: ignore[index]
    return copy


def _with(value: JSONValue, path: Path, new: JSONValue) -> JSONValue:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _with(value[head], rest, new)}
    copy = list(value)
    copy[head] = _with(copy[head], rest, new)  # type: ignore[index]
    return copy


def _smaller(value: JSONValue) -> Iterator[JSONValue]:
    """Candidates one step smaller than `value`, biggest cuts first."""
    for path in sorted(_paths(value), key=len):
        if path:
            yield _without(value, path)
        leaf = _get(value, path)
        if isinstance(leaf, str) and leaf:
            yield _with(value, path, "")
        elif isinstance(leaf, (int, float)) and not isinstance(leaf, bool) and leaf != 0:
            yield _with(value, path, 0)


def shrink(
    value: JSONValue,
    keeps_failing: Callable[[JSONValue], bool],
    errors: Callable[[JSONValue], tuple[tuple[str, str], ...]],
    budget: int = 200,
) -> JSONValue:
    """The smallest `value` found greedily that still fails with the same schema errors."""
    wanted = errors(value)
    tries = 0
    changed = True
    while changed and tries < budget:
        changed = False
        for candidate in _smaller(value):
            tries += 1
            if tries > budget:
                break
            if errors(candidate) == wanted and keeps_failing(candidate):
                value, changed = candidate, True
                break
    return value
