"""The cassette file format (version 1): YAML whose values are pretty JSON.

    # comment lines
    format: 1
    meta: {...}
    interactions:
    - request: {...}
      response: {...}
      repeat: 3          # only when > 1

Every value is JSON written with one field per line, which is valid YAML
(flow style), reads and diffs well, and lets `loads` cut the file apart with
one regular expression and parse each piece with orjson. Anything that does
not fit that layout exactly (a hand-edited file, say) is read by PyYAML
instead, so any YAML spelling of the same data loads the same.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import re
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
import yaml

from harness.cassette.model import FORMAT_VERSION, Cassette, Interaction, Request, Response
from harness.errors import CassetteFormatError

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
_TOP = re.compile(r"\A(?:#[^\n]*\n)*format: (\d+)\nmeta: ")


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


def loads(text: str, source: str = "<cassette>") -> Cassette:
    """Parse cassette text; `source` names the file in error messages."""
    with _gc_paused():
        fast = text.replace("\r\n", "\n") if "\r" in text else text  # a Windows checkout
        top = _TOP.match(fast)
        if top and top.group(1) == str(FORMAT_VERSION):
            try:
                data = _split_fast(fast, top.end())
            except (ValueError, _NotFastLayout):  # orjson's errors are ValueErrors
                pass  # not our own layout: the general YAML reader takes it
            else:
                return from_data(data, source)
        return _from_yaml(text, source)


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


class _NotFastLayout(Exception):
    pass


def _split_fast(text: str, meta_start: int) -> dict[str, Any]:
    """Read the layout `dumps` writes without YAML.

    Every line of a value is indented by four spaces and a JSON string holds
    no raw line break, so the item markers (`- request: `, `  response: `,
    `  repeat: ` at a line start) can only be markers: `bytes.find` locates
    them and orjson parses each value in place (memoryview slices, no copy).
    Anything else (comments, block style, ...) fails here and goes to YAML.
    """
    raw = text.encode()
    view = memoryview(raw)
    start = len(text[:meta_start].encode())
    marker = raw.find(b"\ninteractions:", start)
    if marker < 0:
        raise _NotFastLayout
    meta = orjson.loads(view[start:marker])
    pos = raw.find(b"\n", marker + 1) + 1
    head, end = raw[marker + 1 : pos], len(raw)
    items: list[dict[str, Any]] = []
    if head == b"interactions: []\n" and not raw[pos:].strip():
        pos = end
    elif head != b"interactions:\n" or not raw.startswith(_REQUEST, pos):
        raise _NotFastLayout
    repeat = -1  # where the next `repeat:` line is, once looked up
    while pos < end:
        if not raw.startswith(_REQUEST, pos):
            raise _NotFastLayout
        response = raw.find(_RESPONSE, pos)
        if response < 0:
            raise _NotFastLayout
        following = raw.find(_NEXT_REQUEST, response)
        following = end if following < 0 else following + 1
        if repeat < response:
            repeat = raw.find(_REPEAT, response)
            repeat = end if repeat < 0 else repeat
        item = {"request": orjson.loads(view[pos + len(_REQUEST) : response])}
        if repeat < following:
            item["response"] = orjson.loads(view[response + len(_RESPONSE) : repeat])
            item["repeat"] = orjson.loads(view[repeat + len(_REPEAT) : following])
        else:
            item["response"] = orjson.loads(view[response + len(_RESPONSE) : following])
        items.append(item)
        pos = following
    return {"format": FORMAT_VERSION, "meta": meta, "interactions": items}


def _from_yaml(text: str, source: str) -> Cassette:
    if not text.strip():
        raise CassetteFormatError(f"{source}: empty file, not a cassette; delete it or re-record")
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.reader.ReaderError as exc:
        raise CassetteFormatError(
            f"{source}: not a text cassette (character #x{exc.character:04x} at offset "
            f"{exc.position} is not allowed)"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise CassetteFormatError(f"{source}:{where} not valid YAML ({problem})") from None
    except ValueError as exc:  # binary junk the reader refuses
        raise CassetteFormatError(f"{source}: not a text cassette ({exc})") from None
    return from_data(data, source)


def from_data(data: Any, source: str) -> Cassette:
    """Build a cassette from parsed YAML/JSON data, validating every field."""
    if not isinstance(data, dict):
        raise CassetteFormatError(f"{source}: not a cassette (expected a mapping at the top)")
    if "format" not in data and "version" in data and "interactions" in data:
        from harness.cassette.migrate import from_vcrpy

        return from_vcrpy(data, source)
    version = data.get("format")
    if version is None:
        raise CassetteFormatError(f"{source}: missing field 'format' (cassette format version)")
    if not isinstance(version, int):
        raise CassetteFormatError(f"{source}: field 'format' must be an integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise CassetteFormatError(
            f"{source}: cassette format {version} is newer than this harness reads "
            f"({FORMAT_VERSION}); upgrade pytest-assistants-harness"
        )
    if version < FORMAT_VERSION:
        raise CassetteFormatError(
            f"{source}: cassette format {version} predates format 1, the first this harness "
            f"wrote, so it cannot be migrated; re-record it with `pytest --record`"
        )
    meta = data.get("meta") or {}
    if not isinstance(meta, dict):
        raise CassetteFormatError(f"{source}: field 'meta' must be a mapping")
    items = data.get("interactions")
    if not isinstance(items, list):
        raise CassetteFormatError(f"{source}: field 'interactions' must be a list")
    return Cassette(meta=meta, interactions=list(_interactions(items, source)))


def _interactions(items: Iterable[Any], source: str) -> Iterable[Interaction]:
    for number, item in enumerate(items, 1):
        where = f"{source}: interaction {number}"
        if not isinstance(item, dict):
            raise CassetteFormatError(f"{where}: expected a mapping")
        for part in ("request", "response"):
            if not isinstance(item.get(part), dict):
                raise CassetteFormatError(f"{where}: missing or invalid field '{part}'")
        request, response = item["request"], item["response"]
        _require(request, ("method", str), ("path", str), where=f"{where}: request")
        _require(response, ("status", int), where=f"{where}: response")
        _require_shapes(request, response, where)
        repeat = item.get("repeat", 1)
        if type(repeat) is not int or repeat < 1:
            raise CassetteFormatError(f"{where}: field 'repeat' must be a positive integer")
        yield Interaction(Request.from_data(request), Response.from_data(response), repeat)


def _require(data: dict[str, Any], *fields: tuple[str, type], where: str) -> None:
    for name, kind in fields:
        if name not in data:
            raise CassetteFormatError(f"{where}: missing field '{name}'")
        if not isinstance(data[name], kind) or isinstance(data[name], bool):
            raise CassetteFormatError(f"{where}: field '{name}' must be {kind.__name__}")


def _require_shapes(request: dict[str, Any], response: dict[str, Any], where: str) -> None:
    query = request.get("query")
    if query is not None and not (
        isinstance(query, list) and all(isinstance(p, list) and len(p) == 2 for p in query)
    ):
        raise CassetteFormatError(f"{where}: request field 'query' must be a list of [name, value]")
    for part, data in (("request", request), ("response", response)):
        headers = data.get("headers")
        if headers is not None and not (
            isinstance(headers, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
        ):
            raise CassetteFormatError(
                f"{where}: {part} field 'headers' must be a mapping of names to strings"
            )
        for name in ("text", "base64"):
            if data.get(name) is not None and not isinstance(data[name], str):
                raise CassetteFormatError(f"{where}: {part} field '{name}' must be a string")
    if response.get("base64") is not None:
        try:
            base64.b64decode(response["base64"], validate=True)
        except ValueError:
            raise CassetteFormatError(f"{where}: response field 'base64' is not base64") from None
    events = response.get("events")
    if events is not None and not (
        isinstance(events, list) and all(isinstance(e, dict) and "event" in e for e in events)
    ):
        raise CassetteFormatError(f"{where}: response field 'events' must be a list of events")
