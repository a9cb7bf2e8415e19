"""Reading the layout `harness.cassette.format.dumps` writes, without YAML.

Every line of a value is indented and a JSON string holds no raw line break, so the item
markers (`- request: `, `  response: `, `  repeat: ` at a line start) can only be markers:
`bytes.find` locates them and orjson parses each value in place (memoryview slices, no
copy). Each value is checked as it is parsed: how deep it nests, and that no key is given
twice (orjson keeps the last, where the YAML reader refuses the file). A response can be
left unread until it is asked for (replay reads a response when it serves it): then it is
parsed and checked field by field at that moment, and a bad one names its interaction.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import re
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from harness.cassette.model import Cassette, Response
from harness.cassette.validation import MAX_DEPTH, check_depth, response_from_data
from harness.errors import CassetteFormatError

_REQUEST, _NEXT_REQUEST = b"- request: ", b"\n- request: "
_RESPONSE, _REPEAT = b"\n  response: ", b"\n  repeat: "
# Comment or blank lines, then `format: N`, more of them, and `meta: ` starting the meta value.
_HEAD = re.compile(rb"(?: *(?:#[^\n]*)?\n)*format: (0|[1-9][0-9]*)\n(?: *(?:#[^\n]*)?\n)*meta: ")
# A JSON string token (unrolled: no alternation per character) and a `:` after it.
_STRING_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"[ \t\r\n]*(:)?')
# A line indented as `dumps` indents a value nested MAX_DEPTH deep (two spaces a level, four
# to start); a plain `find` of it runs at memchr speed, where a regular expression crawls.
_MAYBE_DEEP = b"\n" + b" " * (4 + 2 * MAX_DEPTH)
# A string that starts with `:` (after `{`, `[`, `,` or a key's `:`): its opening quote
# and colon look like a key's end.
_OPENING_COLON = (b'{":', b'[":', b',":', b':":')

SlowRead = Callable[[], Cassette]
"""The whole file read the slow way (YAML, then validation): raises the error it finds."""


def read(raw: bytes, source: str, slow: SlowRead, *, later: bool) -> dict[str, Any] | None:
    """The document (`format`, `meta`, `interactions`) when `raw` has the layout `dumps`
    writes, every value parsed and checked; None for anything else (the YAML reader takes
    it). With `later`, each interaction's `response` is a `model.Later` instead."""
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n")  # a Windows checkout
    head = _HEAD.match(raw)
    if head is None:
        return None
    try:
        return _Values(_without_comments(raw, head.end()), source, slow).document(
            head.end(), int(head.group(1)), later
        )
    except (ValueError, _NotOwnLayout):  # orjson's errors are ValueErrors
        return None  # not our own layout after all: the YAML reader takes it, or says where


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a cassette, or a response read later, is
    built.

    Parsing allocates hundreds of thousands of containers, none of them
    garbage; each allocation counts toward a collection that would walk them
    all again (and the rest of the process), which made loading 2-3x slower.
    Objects are still freed by reference counting meanwhile. On the way out,
    `freeze()` + `unfreeze()` moves everything young into the oldest
    generation, as two young collections would have done after walking it
    all twice; garbage cycles among those objects are still found by the
    next full collection. A response read while a test runs goes the same way:
    walked by young collections, the responses replay read as it served them
    made it a fifth slower.
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


def _without_comments(raw: bytes, start: int) -> bytes:
    """`raw` with its comment lines after `start` cut out (their leading line break too).

    YAML ignores these lines, and no JSON value can hold one (a JSON string never spans
    lines): dropping them gives the same document. Only comments need cutting out: blank and
    space-only lines are whitespace to orjson too, wherever YAML allows them. Found with
    `bytes.find(b"#")` (memchr speed), each candidate checked once per line, so a file
    without comments costs one scan and no copy.
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
    if not spans:
        return raw
    view, kept, previous = memoryview(raw), [], 0
    for begin, stop in spans:
        kept.append(view[previous:begin])
        previous = stop
    kept.append(view[previous:])
    return b"".join(kept)


class _NotOwnLayout(Exception):
    pass


class _Values:
    """The text of one cassette (comments cut out), and each value in it read and checked."""

    def __init__(self, raw: bytes, source: str, slow: SlowRead) -> None:
        self.raw = raw
        self.view = memoryview(raw)
        self.source = source
        self.slow = slow
        self._slow_read: Cassette | None = None

    def value(self, start: int, stop: int) -> Any:
        """The JSON value at `raw[start:stop]`, checked; `ValueError` if it is not JSON."""
        parsed = orjson.loads(self.view[start:stop])
        if type(parsed) is dict or type(parsed) is list:
            try:
                written = orjson.dumps(parsed)
            except TypeError:  # orjson.JSONEncodeError: nested past 255 levels, which a
                written = None  # value hand-written on one line reaches without indentation
            if written is None or self.raw.find(_MAYBE_DEEP, start, stop) >= 0:
                check_depth(parsed, self.source)  # only then walk the whole value
            if written is not None and _given_twice(self.raw, start, stop, written):
                # orjson keeps the last of a key given twice; the YAML reader refuses it
                # and says where, so both readers refuse the same files.
                self.slow()
                raise CassetteFormatError(f"{self.source}: a key is given twice inside a value")
        return parsed

    def response(self, number: int, start: int, stop: int) -> Response:
        """Interaction `number`'s response, read and checked now."""
        where = f"{self.source}: interaction {number}"
        try:
            with gc_paused():
                data = self.value(start, stop)
        except ValueError:  # not JSON: the file is read the slow way, which says what is wrong
            if self._slow_read is None:
                self._slow_read = self.slow()
            interactions = self._slow_read.interactions
            if number > len(interactions):
                raise CassetteFormatError(
                    f"{where}: the response is not JSON, and read as YAML the file has "
                    f"{len(interactions)} interactions"
                ) from None
            return interactions[number - 1].response
        return response_from_data(data, where)

    def document(self, start: int, version: int, later: bool) -> dict[str, Any]:
        """Cut the text apart at its markers (see the module docstring)."""
        raw, value = self.raw, self.value
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
            start, stop = response + len(_RESPONSE), min(repeat, following)
            if later:
                item["response"] = functools.partial(self.response, len(items) + 1, start, stop)
            else:
                item["response"] = value(start, stop)
            if repeat < following:
                item["repeat"] = value(repeat + len(_REPEAT), following)
            items.append(item)
            pos = following
        return {"format": version, "meta": meta, "interactions": items}


def _given_twice(raw: bytes, start: int, stop: int, written: bytes) -> bool:
    """Whether the JSON value at `raw[start:stop]` gives some key twice, where `written` is
    orjson's compact writing of what it parsed to: orjson keeps the last of a key given
    twice, dropping the first with its value, so `written` then holds fewer strings.

    The fast answer counts `"` bytes (memchr speed): each string in the text holds two plus
    one per `\\"` in it, and orjson writes each string it kept with two plus one per quote
    in it. Unless `\\u0022` spells a quote, both count alike for each string, so equal counts
    mean nothing was dropped. Otherwise (another spelling, or a drop) the keys are counted.
    """
    if raw.find(b"\\u0022", start, stop) < 0 and raw.count(b'"', start, stop) == written.count(
        b'"'
    ):
        return False
    return _keys(memoryview(raw)[start:stop]) != _written_keys(written)


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
