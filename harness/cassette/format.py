"""The cassette file format (version 1): YAML whose values are pretty JSON.

    # comment lines
    format: 1
    meta: {...}
    interactions:
    - request: {...}
      response: {...}
      repeat: 3          # only when > 1

Every value is JSON written with one field per line, which is valid YAML
(flow style), reads and diffs well, and lets `loads` cut the file apart at
its item markers and parse each piece with orjson; comment and blank lines
may stand anywhere. Anything that does not fit that layout (another YAML
spelling, a vcrpy cassette) is read by `harness.safe_yaml` instead, so any
spelling of the same data loads the same, and no file can smuggle in YAML
anchors or aliases. Either way, `validation` checks every field.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import orjson

from harness import safe_yaml
from harness.cassette import layout
from harness.cassette.model import Cassette
from harness.cassette.validation import build, from_data
from harness.errors import CassetteFormatError

__all__ = ["dumps", "from_data", "loads"]

_HEADER_COMMENT = (
    "# OpenAI Assistants API cassette (pytest-assistants-harness). Values are JSON.\n"
    "# Review it with `harness inspect FILE`; re-record with `pytest --record`.\n"
)
# Characters PyYAML refuses in a stream; JSON escapes them instead.
_NOT_YAML_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# Characters YAML's reader refuses (and `dumps` escapes).
_NOT_READABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


# orjson writes some floats with an exponent and no dot (`1e+16`, `5e-324`),
# which YAML 1.1 reads as a string: `1.0e+16` is the same number to both.
_MAYBE_BARE_EXPONENT = re.compile(r"\de[+-]\d")
_STRING_OR_BARE_EXPONENT = re.compile(r'"(?:[^"\\]|\\.)*"|(?<![\w.])(-?\d+)(e[+-]\d+)')


def _json(value: Any, indent: str) -> str:
    text = orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    text = _NOT_YAML_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    if _MAYBE_BARE_EXPONENT.search(text):
        text = _STRING_OR_BARE_EXPONENT.sub(
            lambda m: m.group() if m.group(1) is None else f"{m.group(1)}.0{m.group(2)}", text
        )
    return text.replace("\n", "\n" + indent)


def dumps(cassette: Cassette) -> str:
    parts = [
        _HEADER_COMMENT,
        f"format: {cassette.format}\n",
        f"meta: {_json(cassette.meta, '  ')}\n",
    ]
    parts.append("interactions:\n" if cassette.interactions else "interactions: []\n")
    for interaction in cassette.interactions:
        parts.append(f"- request: {_json(interaction.request.to_data(), '    ')}\n")
        parts.append(f"  response: {_json(interaction.response.to_data(), '    ')}\n")
        if interaction.repeat != 1:
            parts.append(f"  repeat: {interaction.repeat}\n")
    return "".join(parts)


def loads(
    text: str | bytes, source: str = "<cassette>", *, responses_later: bool = False
) -> Cassette:
    """Parse cassette text (bytes: UTF-8, checked); `source` names the file in error messages.

    The layout `dumps` writes (comment and blank lines anywhere allowed) is cut apart and each
    value parsed by orjson (`harness.cassette.layout`); anything else (a hand-edited spelling,
    a vcrpy cassette) is read by `harness.safe_yaml`. Both end in the same field-by-field
    validation. With `responses_later`, a file of that layout has each interaction's response
    read and checked only when it is first used (replay: when it is served); a bad one then
    raises naming its interaction and field.
    """
    raw = text.encode() if isinstance(text, str) else _utf8(text, source)
    slow = functools.partial(_read_slowly, raw, source)
    with layout.gc_paused():
        data = layout.read(raw, source, slow, later=responses_later)
        if data is not None:
            return build(data, source, json_checked=True)
        return slow()


def _utf8(raw: bytes, source: str) -> bytes:
    if not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CassetteFormatError(
                f"{source}: not a text cassette (byte {exc.start} is not UTF-8)"
            ) from None
    return raw


def _read_slowly(raw: bytes, source: str) -> Cassette:
    """The whole file read by the YAML reader (any spelling), then validated."""
    return from_data(_read_yaml(raw.decode("utf-8"), source), source)


def _read_yaml(text: str, source: str) -> Any:
    if not text.strip():
        raise CassetteFormatError(f"{source}: empty file, not a cassette; delete it or re-record")
    unreadable = _NOT_READABLE.search(text)
    if unreadable is not None:
        raise CassetteFormatError(
            f"{source}: not a text cassette (character #x{ord(unreadable.group()):04x} at offset "
            f"{unreadable.start()} is not allowed)"
        )
    try:
        return safe_yaml.load(text)
    except safe_yaml.YAMLError as exc:
        where = f" line {exc.line}:" if exc.line is not None else ""
        raise CassetteFormatError(f"{source}:{where} {exc}") from None
