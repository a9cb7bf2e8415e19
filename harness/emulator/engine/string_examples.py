"""Small deterministic strings a JSON Schema string accepts: for a `pattern`, a `format`, lengths.

A brain's suggested rule and a forced function call need arguments the tool's
schema accepts: `"example"` breaks `^C[0-9]{6}$`. A pattern is walked with the
standard library's regular-expression parser, taking the first branch, the
first character of each class and each repeat's least count, so `^C[0-9]{6}$`
gives `C000000`. A pattern the walk cannot satisfy (lookarounds, backreferences)
gives None, and the caller falls back to a plain word.
"""

from __future__ import annotations

import re
from typing import Any

from harness.formats import EXAMPLES

try:  # Python 3.11 moved the parser; 3.10 has only the old name
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse

_CATEGORY = {
    "CATEGORY_DIGIT": "0",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": "-",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
}


class _Unsupported(Exception):
    pass


def string_example(schema: dict[str, Any]) -> str:
    """A string `schema` accepts (its pattern, format and lengths), or "example"."""
    text = EXAMPLES.get(str(schema.get("format")), "example")
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        found = pattern_example(pattern)
        if found is not None:
            text = found
    low = int(schema.get("minLength") or 0)
    high = schema.get("maxLength")
    if len(text) < low:
        text += text[-1:] * (low - len(text)) if text else "a" * low
    if isinstance(high, int) and len(text) > high:
        text = text[:high]
    if isinstance(pattern, str) and not _matches(pattern, text):
        return pattern_example(pattern) or text
    return text


def pattern_example(pattern: str) -> str | None:
    """A string `re.search(pattern, ...)` accepts, or None when the walk cannot tell."""
    try:
        parsed = sre_parse.parse(pattern)
        text = _walk(list(parsed))
    except (_Unsupported, re.error, RecursionError, ValueError):
        return None
    return text if _matches(pattern, text) else None


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def _walk(items: list[Any]) -> str:
    out: list[str] = []
    for op, value in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(value))
        elif name == "NOT_LITERAL":
            out.append("a" if chr(value) != "a" else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_first_in(value))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            least, _, inner = value
            out.append(_walk(list(inner)) * least)
        elif name == "SUBPATTERN":
            out.append(_walk(list(value[-1])))
        elif name == "ATOMIC_GROUP":
            out.append(_walk(list(value)))
        elif name == "BRANCH":
            out.append(_walk(list(value[1][0])))
        elif name == "AT":
            continue
        else:  # lookarounds, backreferences, conditionals
            raise _Unsupported(name)
    return "".join(out)


def _first_in(items: list[Any]) -> str:
    if items and str(items[0][0]) == "NEGATE":
        excluded = {chr(v) for op, v in items[1:] if str(op) == "LITERAL"}
        for candidate in "aA0-_ ":
            if candidate not in excluded and not any(
                str(op) == "RANGE" and v[0] <= ord(candidate) <= v[1] for op, v in items[1:]
            ):
                return candidate
        raise _Unsupported("NEGATE")
    op, value = items[0]
    name = str(op)
    if name == "LITERAL":
        return chr(value)
    if name == "RANGE":
        return chr(value[0])
    if name == "CATEGORY":
        return _CATEGORY.get(str(value), "a")
    raise _Unsupported(name)


__all__ = ["pattern_example", "string_example"]
