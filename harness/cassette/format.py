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

import contextlib
import gc
import re
from collections.abc import Iterator
from typing import Any

import orjson

from harness import safe_yaml
from harness.cassette.model import Cassette
from harness.cassette.validation import MAX_DEPTH, build, check_depth, from_data
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
_REQUEST, _NEXT_REQUEST = b"- request: ", b"\n- request: "
_RESPONSE, _REPEAT = b"\n  response: ", b"\n  repeat: "
# A JSON string token (unrolled: no alternation per character) and a `:` after it.
_STRING_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"[ \t\r\n]*(:)?')
# Comment or blank lines, then `format: N`, more of them, and `meta: ` starting the meta value.
_HEAD = re.compile(rb"(?: *(?:#[^\n]*)?\n)*format: (0|[1-9][0-9]*)\n(?: *(?:#[^\n]*)?\n)*meta: ")
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


# A line indented as `dumps` indents a value nested MAX_DEPTH deep (two spaces a level, four
# to start); a plain `find` of it runs at memchr speed, where a regular expression crawls.
_MAYBE_DEEP = "\n" + " " * (4 + 2 * MAX_DEPTH)


def loads(text: str, source: str = "<cassette>") -> Cassette:
    """Parse cassette text; `source` names the file in error messages.

    The layout `dumps` writes (comment and blank lines anywhere allowed) is cut apart and each
    value parsed by orjson; anything else (a hand-edited spelling, a vcrpy cassette) is read by
    `harness.safe_yaml`. Both end in the same field-by-field validation.
    """
    with _gc_paused():
        own = _read_own_layout(text)
        if own is not None:
            data, values, raw, start = own
            try:
                written = orjson.dumps(values)
            except TypeError:  # orjson.JSONEncodeError: nested past 255 levels, which a value
                written = None  # hand-written on one line reaches without the indentation
            if written is None or _MAYBE_DEEP in text:  # only then walk every value
                check_depth(data, source)
            if written is not None and _given_twice(raw, start, written):
                # orjson keeps the last of a key given twice; the YAML reader refuses it
                # and says where, so both readers refuse the same files.
                _read_yaml(text, source)
                raise CassetteFormatError(f"{source}: a key is given twice inside a value")
            return build(data, source, json_checked=True)
        return from_data(_read_yaml(text, source), source)


def _given_twice(raw: bytes, start: int, written: bytes) -> bool:
    """Whether the text holding the document's JSON values (`raw` from `start`: the values,
    and item markers and blank lines between them, which hold no `"`) gives some key twice,
    where `written` is orjson's compact writing of what those values parsed to: orjson keeps
    the last of a key given twice, dropping the first with its value, so `written` then holds
    fewer strings.

    The fast answer counts `"` bytes (memchr speed): each string in the text holds two plus
    one per `\\"` in it, and orjson writes each string it kept with two plus one per quote
    in it. Unless `\\u0022` spells a quote, both count alike for each string, so equal counts
    mean nothing was dropped. Otherwise (another spelling, or a drop) the keys are counted.
    """
    if raw.find(b"\\u0022", start) < 0 and raw.count(b'"', start) == written.count(b'"'):
        return False
    return _keys(memoryview(raw)[start:]) != _written_keys(written)


# A string that starts with `:` (after `{`, `[`, `,` or a key's `:`): its opening quote
# and colon look like a key's end.
_OPENING_COLON = (b'{":', b'[":', b',":', b':":')


def _written_keys(compact: bytes) -> int:
    """How many object keys orjson's compact output holds: each ends `":`, and inside a
    string a quote is always escaped (`\\":`); where that is not enough to tell, the
    tokens are counted."""
    if b'\\\\":' in compact or any(opening in compact for opening in _OPENING_COLON):
        return _keys(compact)
    return compact.count(b'":') - compact.count(b'\\":')


def _keys(json_text: bytes | memoryview) -> int:
    """How many object keys JSON text holds (each string token followed by `:`)."""
    tokens = _STRING_TOKEN.findall(json_text)
    return len(tokens) - tokens.count(b"")


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a cassette is built.

    Parsing allocates hundreds of thousands of containers, none of them
    garbage; each allocation counts toward a collection that would walk them
    all again (and the rest of the process), which made loading 2-3x slower.
    Objects are still freed by reference counting meanwhile. On the way out,
    `freeze()` + `unfreeze()` moves everything young into the oldest
    generation, as two young collections would have done after walking it
    all twice; garbage cycles among those objects are still found by the
    next full collection.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        # Promote what was built straight to the oldest generation: young
        # collections would otherwise walk every loaded object again.
        gc.freeze()
        gc.unfreeze()
        gc.enable()


def _read_own_layout(text: str) -> tuple[dict[str, Any], list[Any], bytes, int] | None:
    """The document, each JSON value in it in order (meta, then each item's request,
    response and repeat), and the text (comments cut out) with where its values start, when
    `text` has the layout `dumps` writes; None for anything else."""
    raw = text.encode()
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n")  # a Windows checkout
    head = _HEAD.match(raw)
    if head is None:
        return None
    skipped = _skipped_lines(raw, head.end())
    if skipped:
        # YAML ignores these lines, and no JSON value can hold one (a JSON string never spans
        # lines): dropping them gives the same document, at the cost of one copy.
        view, kept, previous = memoryview(raw), [], 0
        for start, stop in skipped:
            kept.append(view[previous:start])
            previous = stop
        kept.append(view[previous:])
        raw = b"".join(kept)
        del view, kept
    try:
        values: list[Any] = []
        data = _split(raw, head.end(), int(head.group(1)), values)
        return data, values, raw, head.end()
    except (ValueError, _NotOwnLayout):  # orjson's errors are ValueErrors
        return None  # not our own layout after all: the YAML reader takes it, or says where


def _skipped_lines(raw: bytes, start: int) -> list[tuple[int, int]]:
    """Comment lines after `start`: (their leading line break, their end), in order.

    Only comments need cutting out: blank and space-only lines are whitespace to orjson too,
    wherever YAML allows them. Found with `bytes.find(b"#")` (memchr speed), each candidate
    checked once per line, so a file without comments costs one scan.
    """
    spans: list[tuple[int, int]] = []
    found = raw.find(b"#", start)
    while found >= 0:
        line = raw.rfind(b"\n", start, found) + 1
        end = raw.find(b"\n", found)
        end = len(raw) if end < 0 else end
        if line > 0 and not raw[line:found].strip(b" "):
            spans.append((line - 1, end))
        found = raw.find(b"#", end)  # the rest of its line is text or comment
    return spans


class _NotOwnLayout(Exception):
    pass


def _split(raw: bytes, start: int, version: int, values: list[Any]) -> dict[str, Any]:
    """Cut the layout `dumps` writes apart without YAML.

    Every line of a value is indented and a JSON string holds no raw line break, so the item
    markers (`- request: `, `  response: `, `  repeat: ` at a line start) can only be markers:
    `bytes.find` locates them and orjson parses each value in place (memoryview slices, no copy).
    Each value parsed goes to `values` too.
    """
    view = memoryview(raw)

    def value(begin: int, stop: int) -> Any:
        parsed = orjson.loads(view[begin:stop])
        values.append(parsed)
        return parsed

    marker = raw.find(b"\ninteractions:", start)
    if marker < 0:
        raise _NotOwnLayout
    meta = value(start, marker)
    end = len(raw)
    newline = raw.find(b"\n", marker + 1)
    pos = end if newline < 0 else newline + 1
    line = raw[marker + 1 : pos].rstrip(b" \n")
    while pos < end:  # blank lines before the first item
        newline = raw.find(b"\n", pos)
        if newline < 0 or raw[pos:newline].strip(b" "):
            break
        pos = newline + 1
    items: list[dict[str, Any]] = []
    if line == b"interactions: []":
        if raw[pos:].strip():
            raise _NotOwnLayout
        pos = end
    elif line != b"interactions:" or not raw.startswith(_REQUEST, pos):
        raise _NotOwnLayout
    repeat = -1  # where the next `repeat:` line is, once looked up
    while pos < end:
        if not raw.startswith(_REQUEST, pos):
            raise _NotOwnLayout
        response = raw.find(_RESPONSE, pos)
        if response < 0:
            raise _NotOwnLayout
        following = raw.find(_NEXT_REQUEST, response)
        following = end if following < 0 else following + 1
        if repeat < response:
            repeat = raw.find(_REPEAT, response)
            repeat = end if repeat < 0 else repeat
        item = {"request": value(pos + len(_REQUEST), response)}
        if repeat < following:
            item["response"] = value(response + len(_RESPONSE), repeat)
            item["repeat"] = value(repeat + len(_REPEAT), following)
        else:
            item["response"] = value(response + len(_RESPONSE), following)
        items.append(item)
        pos = following
    return {"format": version, "meta": meta, "interactions": items}


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
