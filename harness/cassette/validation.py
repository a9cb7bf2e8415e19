"""A parsed cassette document checked field by field and built into a `Cassette`.

Every problem is one `CassetteFormatError` line naming the file, the interaction and the field.
A vcrpy / pytest-recording document (`version:` instead of `format:`) goes to the migration.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import math
import operator
import re
from collections.abc import Iterator
from typing import Any

from harness.cassette.model import FORMAT_VERSION, Cassette, Interaction, Request, Response
from harness.errors import CassetteFormatError

_TOP_FIELDS = frozenset({"format", "meta", "interactions"})
_INTERACTION_FIELDS = frozenset({"request", "response", "repeat"})
_REQUEST_FIELDS = frozenset(f.name for f in dataclasses.fields(Request))
_RESPONSE_FIELDS = frozenset(f.name for f in dataclasses.fields(Response))
# Fields of `meta` the harness itself reads or writes: text (base_host may be null).
_META_TEXT = ("harness", "sdk", "backend", "base_path", "test", "recorded_at", "migrated_from")
_META_OPTIONAL_TEXT = ("base_host", "name")
# A key named as `.key` in an error message; any other as `['key']`.
_PLAIN_KEY = re.compile(r"[\w-]{1,40}")


def from_data(data: Any, source: str) -> Cassette:
    """Build a cassette from a parsed document (YAML or JSON), validating every field."""
    return build(data, source, json_checked=False)


def build(data: Any, source: str, *, json_checked: bool) -> Cassette:
    """`from_data`; `json_checked` says every value already is JSON (orjson parsed it).

    An interaction's `response` may also be a `Later` (`harness.cassette.format` defers
    reading responses until replay serves them): it is checked when it is read."""
    if not isinstance(data, dict):
        raise CassetteFormatError(f"{source}: not a cassette (expected a mapping at the top)")
    if "format" not in data and "version" in data and "interactions" in data:
        from harness.cassette.migrate import from_vcrpy

        return from_vcrpy(data, source)
    _known(data, _TOP_FIELDS, source)
    _check_version(data.get("format"), source)
    meta = data.get("meta")
    meta = {} if meta is None else meta
    _check_meta(meta, source, json_checked)
    items = data.get("interactions")
    if not isinstance(items, list):
        raise CassetteFormatError(f"{source}: field 'interactions' must be a list")
    return Cassette(meta=meta, interactions=list(_interactions(items, source, json_checked)))


def _known(data: dict[Any, Any], fields: frozenset[str], where: str) -> None:
    for name in data:
        if name not in fields:
            known = ", ".join(sorted(fields))
            raise CassetteFormatError(f"{where}: unknown field {_shown(name)} (known: {known})")


def _check_version(version: Any, source: str) -> None:
    if version is None:
        raise CassetteFormatError(f"{source}: missing field 'format' (cassette format version)")
    if type(version) is not int:  # not bool: `format: true` is no version
        raise CassetteFormatError(
            f"{source}: field 'format' must be an integer, got {_shown(version)}"
        )
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


def _check_meta(meta: Any, source: str, json_checked: bool) -> None:
    if not isinstance(meta, dict):
        raise CassetteFormatError(f"{source}: field 'meta' must be a mapping")
    if not json_checked:
        _json_values(meta, f"{source}:", "meta")
    for name in (*_META_TEXT, *_META_OPTIONAL_TEXT):
        value = meta.get(name)
        if name in meta and not isinstance(value, str):
            if value is None and name in _META_OPTIONAL_TEXT:
                continue
            raise CassetteFormatError(
                f"{source}: field 'meta.{name}' must be a string, got {_shown(value)}"
            )


def _interactions(items: list[Any], source: str, json_checked: bool) -> Iterator[Interaction]:
    for number, item in enumerate(items, 1):
        if json_checked and _plain(item):
            response = item["response"]
            yield Interaction(
                Request.from_data(item["request"]),
                response if callable(response) else Response.from_data(response),
                item.get("repeat", 1),
            )
            continue
        where = f"{source}: interaction {number}"
        if not isinstance(item, dict):
            raise CassetteFormatError(f"{where}: expected a mapping")
        _known(item, _INTERACTION_FIELDS, where)
        request, response = item.get("request"), item.get("response")
        if not isinstance(request, dict):
            raise CassetteFormatError(f"{where}: missing or invalid field 'request'")
        if not (isinstance(response, dict) or (json_checked and callable(response))):
            raise CassetteFormatError(f"{where}: missing or invalid field 'response'")
        if not json_checked:
            _json_values(request, f"{where}:", "request")
        _check_request(request, f"{where}: request")
        repeat = item.get("repeat", 1)
        if type(repeat) is not int or not 1 <= repeat <= MAX_REPEAT:
            raise CassetteFormatError(
                f"{where}: field 'repeat' must be a positive integer (at most {MAX_REPEAT}), "
                f"got {_shown(repeat)}"
            )
        if not callable(response):
            response = response_from_data(response, where, json_checked=json_checked)
        yield Interaction(Request.from_data(request), response, repeat)


def response_from_data(data: Any, where: str, *, json_checked: bool = True) -> Response:
    """One interaction's recorded response, checked field by field; `where` names the file
    and the interaction in an error."""
    if json_checked and _plain_response(data):
        return Response.from_data(data)
    if not isinstance(data, dict):
        raise CassetteFormatError(f"{where}: missing or invalid field 'response'")
    if not json_checked:
        _json_values(data, f"{where}:", "response")
    _check_response(data, f"{where}: response")
    return Response.from_data(data)


_NONE = type(None)
_STR = frozenset({str})
_DICT = frozenset({dict})
_EVENT_NAMES = frozenset({str, _NONE})
_event_name = operator.methodcaller("get", "event", 0)  # 0: no name (an int is refused)


def _plain(item: Any) -> bool:
    """Whether an interaction of JSON values passes every check below in its common shape,
    tested in one go without a message (one by one, these checks were most of a cassette's
    load time). Anything else (a field missing or of another type, multipart parts, a base64
    body to decode) says no, and the checks run one by one to say what is wrong. A response
    read later (a `Later`) is checked when it is read."""
    if type(item) is not dict or not item.keys() <= _INTERACTION_FIELDS:
        return False
    request, response = item.get("request"), item.get("response")
    repeat = item.get("repeat", 1)
    if type(request) is not dict or type(repeat) is not int or not 1 <= repeat <= MAX_REPEAT:
        return False
    if not (callable(response) or _plain_response(response)):
        return False
    if not (
        request.keys() <= _REQUEST_FIELDS
        and type(request.get("method")) is str
        and type(request.get("path")) is str
        and request.get("multipart") is None
        and _plain_common(request)
    ):
        return False
    query = request.get("query")
    return query is None or (
        type(query) is list
        and all(type(p) is list and len(p) == 2 and set(map(type, p)) <= _STR for p in query)
    )


def _plain_response(response: Any) -> bool:
    """`_plain` for a response."""
    if type(response) is not dict:
        return False
    status = response.get("status")
    if not (
        response.keys() <= _RESPONSE_FIELDS
        and type(status) is int
        and 100 <= status <= 599
        and response.get("base64") is None
        and _plain_common(response)
    ):
        return False
    events = response.get("events")
    return events is None or (
        type(events) is list
        and set(map(type, events)) <= _DICT
        and set(map(type, map(_event_name, events))) <= _EVENT_NAMES
    )


def _plain_common(data: dict[str, Any]) -> bool:
    """`_check_common` for JSON values (whose keys are always strings), without a message."""
    headers, text = data.get("headers"), data.get("text")
    if headers is not None and not (
        type(headers) is dict and set(map(type, headers.values())) <= _STR
    ):
        return False
    return text is None or type(text) is str


def _check_request(request: dict[str, Any], where: str) -> None:
    _known(request, _REQUEST_FIELDS, where)
    _require(request, "method", str, where)
    _require(request, "path", str, where)
    query = request.get("query")
    if query is not None and not (
        isinstance(query, list)
        and all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p)
            for p in query
        )
    ):
        raise CassetteFormatError(
            f"{where}: field 'query' must be a list of [name, value] string pairs"
        )
    multipart = request.get("multipart")
    if multipart is not None and not (
        isinstance(multipart, list) and all(isinstance(p, dict) for p in multipart)
    ):
        raise CassetteFormatError(f"{where}: field 'multipart' must be a list of mappings")
    _check_common(request, where)


def _check_response(response: dict[str, Any], where: str) -> None:
    _known(response, _RESPONSE_FIELDS, where)
    _require(response, "status", int, where)
    if not 100 <= response["status"] <= 599:
        raise CassetteFormatError(
            f"{where}: field 'status' must be an HTTP status (100-599), got {response['status']}"
        )
    _check_common(response, where)
    if response.get("base64") is not None:
        try:
            base64.b64decode(response["base64"], validate=True)
        except (ValueError, binascii.Error):
            raise CassetteFormatError(f"{where}: field 'base64' is not base64") from None
    events = response.get("events")
    if events is not None and not (
        isinstance(events, list)
        and all(
            isinstance(e, dict) and "event" in e and isinstance(e["event"], (str, type(None)))
            for e in events
        )
    ):
        raise CassetteFormatError(
            f"{where}: field 'events' must be a list of events ({{event: name, data: ...}})"
        )


def _check_common(data: dict[str, Any], where: str) -> None:
    headers = data.get("headers")
    if headers is not None and not (
        isinstance(headers, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
    ):
        raise CassetteFormatError(f"{where}: field 'headers' must be a mapping of names to strings")
    for name in ("text", "base64"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise CassetteFormatError(f"{where}: field '{name}' must be a string")


def _require(data: dict[str, Any], name: str, kind: type, where: str) -> None:
    if name not in data:
        raise CassetteFormatError(f"{where}: missing field '{name}'")
    value = data[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise CassetteFormatError(
            f"{where}: field '{name}' must be {kind.__name__}, got {_shown(value)}"
        )


MAX_DEPTH = 100
MAX_REPEAT = 100_000
"""How often one recorded exchange may be replayed: more is a file built to hang a reader."""
"""How deep a value may nest: the API's own objects stay under 20 levels, and the harness's
walkers (redaction, transcripts) recurse."""


def check_depth(value: Any, source: str) -> None:
    """Raise unless every value of the document nests at most `MAX_DEPTH` deep."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise CassetteFormatError(
                f"{source}: a value nests more than {MAX_DEPTH} levels deep; "
                "no Assistants API object does"
            )
        if isinstance(item, dict):
            stack.extend((sub, depth + 1) for sub in item.values())
        elif isinstance(item, list):
            stack.extend((sub, depth + 1) for sub in item)


def _json_values(value: Any, where: str, name: str) -> None:
    """Raise unless `value` is plain JSON: what YAML may hold besides (dates, sets, binary, NaN)."""
    stack: list[tuple[str, Any, int]] = [(name, value, 0)]
    while stack:  # not recursive: YAML nests up to 1000 deep
        path, item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise CassetteFormatError(
                f"{where} field '{name}' nests more than {MAX_DEPTH} levels deep; "
                "no Assistants API object does"
            )
        if isinstance(item, dict):
            for key in reversed(list(item)):
                if not isinstance(key, str):
                    raise CassetteFormatError(
                        f"{where} field '{path}' has the key {_shown(key)}; JSON keys are strings"
                    )
                step = f".{key}" if _PLAIN_KEY.fullmatch(key) else f"[{_shown(key)}]"
                stack.append((path + step, item[key], depth + 1))
        elif isinstance(item, list):
            stack.extend(
                (f"{path}[{i}]", sub, depth + 1) for i, sub in reversed(list(enumerate(item)))
            )
        elif isinstance(item, float) and not math.isfinite(item):
            raise CassetteFormatError(f"{where} field '{path}' is {item}, which JSON cannot hold")
        elif not (item is None or isinstance(item, (str, int, float))):
            kind = _KINDS.get(type(item), type(item).__name__)
            raise CassetteFormatError(
                f"{where} field '{path}' holds a {kind}, which JSON cannot hold; "
                f"write it as a quoted string"
            )


_KINDS = {dt.date: "date", dt.datetime: "timestamp", bytes: "binary value", set: "set"}


def _shown(value: Any) -> str:
    """A value for an error message: its repr, shortened to stay on one line."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
