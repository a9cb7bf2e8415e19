"""Redaction: secrets are removed before an interaction is kept in memory.

The rules (`credentials`: one list of credential names, the header policy,
secret-looking patterns; `spans`: where a secret sits in a text) are applied
to every part of an exchange: path, query, headers, JSON bodies and the JSON
encoded inside their strings, multipart fields, SSE streams (each streamed
field redacted as the whole text its deltas form), binary bodies (scanned
before they are stored as base64) and a cassette's `meta`. Values sent or
received as credentials (keys, cookies, custom auth headers, credential-named
query parameters and fields) are learned for the rest of the recording and
removed wherever a server echoes them. `harness verify` and `scrub` use this
same redactor, in a mode that also reports what it removed.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from harness.cassette.credentials import (
    PROTOCOL_REQUEST_HEADERS,
    PROTOCOL_RESPONSE_HEADERS,
    REDACTED,
    is_credential_field,
    is_credential_name,
    learns_request_header,
    learns_response_header,
    substring_safe,
    whole_field_safe,
)
from harness.cassette.deltas import Path, cut, streamed_fields
from harness.cassette.model import Interaction, Request, Response
from harness.cassette.spans import Span, TextRules, apply

__all__ = ["REDACTED", "Hit", "Redactor", "credentials"]

KNOWN = "known secret"
LEARNED = "credential seen in this recording"


@dataclass(frozen=True)
class Hit:
    """One secret a scan removed (for `harness verify`; never printed whole)."""

    kind: str
    secret: str
    part: str
    """`meta`, `request` or `response`."""
    needle: str
    """How the secret begins where it sits (its first piece, if it was split)."""
    pieces: int = 1
    """How many streamed events it was split across."""


class _Memory:
    """The values a redactor learned, shared by everything that uses it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.values: frozenset[str] = frozenset()
        self._rules: TextRules | None = None

    def add(self, values: Iterable[str]) -> None:
        new = {v for v in values if v and v not in self.values}
        if new:
            with self._lock:
                self.values = self.values | new
                self._rules = None

    def rules(self, redactor: Redactor) -> TextRules:
        rules = self._rules
        if rules is None:
            with self._lock:
                values = self.values
                kinds = {v: LEARNED for v in values}
                kinds.update((v, KNOWN) for v in redactor.secrets)
                known = {v: k for v, k in kinds.items() if substring_safe(v)}
                whole = {v: k for v, k in kinds.items() if v not in known and whole_field_safe(v)}
                rules = TextRules(known, whole, redactor.patterns)
                if self.values is values:
                    self._rules = rules
        return rules


@dataclass(frozen=True)
class Redactor:
    """Replaces secrets with `REDACTED`.

    `secrets` are the values known beforehand (the keys in the environment),
    `patterns` users' extra regular expressions. Values learned from the
    exchanges it redacts (`learning`, `interaction`) are kept for as long as
    the redactor lives: one recording.
    """

    secrets: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    _memory: _Memory = field(default_factory=_Memory, repr=False, compare=False)

    @classmethod
    def build(cls, secrets: Iterable[str | None], extra_patterns: Iterable[str] = ()) -> Redactor:
        return cls(secrets=tuple(s for s in secrets if s), patterns=tuple(extra_patterns))

    def learning(self, values: Iterable[str]) -> Redactor:
        """Learn secret `values` for the rest of this redactor's life; returns it."""
        self._memory.add(values)
        return self

    @property
    def known(self) -> int:
        """How many values this redactor has learned (it only ever grows)."""
        return len(self._memory.values)

    @property
    def rules(self) -> TextRules:
        return self._memory.rules(self)

    # --- redaction ----------------------------------------------------------------

    def text(self, value: str) -> str:
        return _Pass(self.rules).text(value, "text")

    def data(self, value: Any) -> Any:
        """A copy of a JSON value with every secret removed."""
        return _Pass(self.rules).data(value, "data")

    def meta(self, meta: Mapping[str, Any]) -> dict[str, Any]:
        return dict(_Pass(self.rules).data(dict(meta), "meta"))

    def request(self, request: Request) -> Request:
        return _Pass(self.rules).request(request)

    def response(self, response: Response) -> Response:
        return _Pass(self.rules).response(response)

    def interaction(self, interaction: Interaction) -> Interaction:
        """Redact an exchange, first learning the credentials it carries."""
        return self.scan_interaction(interaction, report=False)[0]

    # --- scans (harness verify / scrub) ---------------------------------------------

    def scan_interaction(
        self, interaction: Interaction, *, report: bool = True
    ) -> tuple[Interaction, list[Hit]]:
        """The redacted exchange and, with `report`, every secret removed."""
        self.learning(credentials(interaction.request, interaction.response))
        scan = _Pass(self.rules, [] if report else None)
        redacted = replace(
            interaction,
            request=scan.request(interaction.request),
            response=scan.response(interaction.response),
        )
        return redacted, scan.hits or []

    def scan_data(self, value: Any, part: str) -> tuple[Any, list[Hit]]:
        """A JSON-like value (`meta`, a foreign cassette) redacted, and what was removed."""
        self.learning(_credential_values(value, 0))
        scan = _Pass(self.rules, [])
        return scan.data(value, part), scan.hits or []


class _Pass:
    """One walk over a value with one set of rules, noting hits if asked."""

    def __init__(self, rules: TextRules, hits: list[Hit] | None = None) -> None:
        self.rules = rules
        self.hits = hits

    def _hit(self, kind: str, secret: str, part: str, needle: str = "", pieces: int = 1) -> None:
        if self.hits is not None:
            self.hits.append(Hit(kind, secret, part, needle or secret, pieces))

    def text(self, value: str, part: str) -> str:
        spans = self.rules.spans(value)
        if self.hits is not None:
            for span in spans:
                self._hit(span.kind, value[span.start : span.end], part)
        return apply(value, spans)

    def whole(self, value: str, part: str, kind: str = "credential field") -> str:
        if value and value != REDACTED:
            self._hit(kind, value, part)
            return REDACTED
        return value

    def data(
        self,
        value: Any,
        part: str,
        masked: bool = False,
        fixed: Mapping[Path, str] | None = None,
    ) -> Any:
        """`value` redacted; strings under a credential-named key replaced whole;
        strings at a `fixed` path (streamed pieces) taken from there.

        A walk with its own stack, not recursion: a body nested a thousand
        deep is bad input to record, not a reason to crash.
        """
        if isinstance(value, tuple):
            return tuple(self.data(list(value), part, masked, fixed))
        root: list[Any] = [None]
        tasks: list[tuple[Any, bool, Path, Any, Any]] = [(value, masked, (), root, 0)]
        while tasks:
            item, hidden, path, into, slot = tasks.pop()
            if isinstance(item, str):
                if fixed is not None and path in fixed:
                    into[slot] = fixed[path]
                else:
                    into[slot] = self.whole(item, part) if hidden else self.text(item, part)
            elif isinstance(item, dict):
                out: dict[Any, Any] = {}
                children = []
                for key, child in item.items():
                    name = self.text(key, part) if isinstance(key, str) else key
                    out[name] = None
                    secret = hidden or (isinstance(key, str) and is_credential_field(key, item))
                    where = (*path, key) if fixed is not None else path
                    children.append((child, secret, where, out, name))
                into[slot] = out
                tasks.extend(reversed(children))
            elif isinstance(item, (list, tuple)):
                items: list[Any] = [None] * len(item)
                into[slot] = items
                tasks.extend(
                    (child, hidden, (*path, i) if fixed is not None else path, items, i)
                    for i, child in reversed(list(enumerate(item)))
                )
            elif isinstance(item, bytes):
                into[slot] = self.binary(item, part)
            else:
                into[slot] = item
        return root[0]

    def binary(self, value: bytes, part: str) -> bytes:
        spans = self.rules.bytes_spans(value)
        if not spans:
            return value
        text = value.decode("latin-1")
        for span in spans:
            self._hit(span.kind, text[span.start : span.end], part, "")
        return apply(text, spans).encode("latin-1")

    def request(self, request: Request) -> Request:
        part = "request"
        query = tuple(
            (
                self.text(name, part),
                self.whole(value, part)
                if is_credential_name(name, query=True)
                else self.text(value, part),
            )
            for name, value in request.query
        )
        return replace(
            request,
            path=self.text(request.path, part),
            query=query,
            headers=self.headers(request.headers, PROTOCOL_REQUEST_HEADERS, part),
            body=self.data(request.body, part),
            multipart=self.multipart(request.multipart),
            text=None if request.text is None else self.text(request.text, part),
        )

    def response(self, response: Response) -> Response:
        part = "response"
        return replace(
            response,
            headers=self.headers(response.headers, PROTOCOL_RESPONSE_HEADERS, part),
            body=self.data(response.body, part),
            events=None if response.events is None else self.events(response.events),
            text=None if response.text is None else self.text(response.text, part),
            base64=None if response.base64 is None else self.base64(response.base64),
        )

    def headers(
        self, headers: Mapping[str, str], kept: frozenset[str], part: str
    ) -> dict[str, str]:
        out = {}
        for name, value in headers.items():
            if name.lower() in kept:
                out[name] = self.text(value, part)
            elif value:
                self._hit(f"header {name.lower()}", value, part)
        return out

    def multipart(self, parts: tuple[dict[str, Any], ...] | None) -> Any:
        if parts is None:
            return None
        out = []
        for item in parts:
            if isinstance(item.get("text"), str) and is_credential_name(str(item.get("name"))):
                item = {**item, "text": self.whole(item["text"], "request")}
            out.append(self.data(item, "request"))
        return tuple(out)

    def base64(self, value: str) -> str:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return self.text(value, "response")
        cleaned = self.binary(raw, "response")
        return value if cleaned is raw else base64.b64encode(cleaned).decode()

    def events(self, events: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
        """Each streamed field redacted as the whole text its deltas form, then cut back."""
        fixed: dict[int, dict[Path, str]] = {}
        for streamed in streamed_fields(events):
            pieces = streamed.pieces
            spans = self.rules.spans(streamed.text)
            if spans:
                pieces = cut(pieces, spans)
                self._split_hits(streamed.pieces, streamed.text, spans)
            for (number, place), piece in zip(streamed.places, pieces, strict=True):
                fixed.setdefault(number, {})[place] = piece
        return tuple(
            self.data(event, "response", fixed=fixed[number])
            if number in fixed
            else self.data(event, "response")
            for number, event in enumerate(events)
        )

    def _split_hits(self, pieces: list[str], text: str, spans: list[Span]) -> None:
        if self.hits is None:
            return
        ends = list(_running_ends(pieces))
        for span in spans:
            first = next(i for i, end in enumerate(ends) if end > span.start)
            last = next(i for i, end in enumerate(ends) if end >= span.end)
            begin = ends[first] - len(pieces[first])
            needle = pieces[first][span.start - begin :]
            kind = span.kind if first == last else f"{span.kind}, split across streamed events"
            self._hit(kind, text[span.start : span.end], "response", needle, last - first + 1)


def _running_ends(pieces: list[str]) -> Iterator[int]:
    end = 0
    for piece in pieces:
        end += len(piece)
        yield end


def credentials(request: Request, response: Response | None = None) -> set[str]:
    """The secret values an exchange carries: credential and custom headers,
    credential-named query parameters and JSON or multipart fields."""
    found: set[str] = set()
    for name, value in request.headers.items():
        if value and learns_request_header(name):
            found.update(_header_values(name, value))
    found.update(
        value for name, value in request.query if value and is_credential_name(name, query=True)
    )
    found.update(_credential_values(request.body, 0))
    for item in request.multipart or ():
        if isinstance(item.get("text"), str) and is_credential_name(str(item.get("name"))):
            found.add(item["text"])
    if response is not None:
        for name, value in response.headers.items():
            if value and learns_response_header(name):
                found.update(_header_values(name, value))
        found.update(_credential_values(response.body, 0))
    return {v.strip() for v in found if v.strip()}


def _header_values(name: str, value: str) -> set[str]:
    """A header's value and the secrets inside it (a scheme's token, cookies)."""
    values = {value}
    name = name.lower()
    scheme, _, token = value.partition(" ")
    if token and re.fullmatch(r"[A-Za-z][\w\-]*", scheme):
        values.add(token.strip())
        if scheme.lower() == "basic":
            try:
                user_pass = base64.b64decode(token.strip(), validate=True).decode()
            except (binascii.Error, ValueError):
                pass
            else:
                values.update((user_pass, user_pass.partition(":")[2]))
    if name == "cookie":
        values.update(_cookie_values(value.split(";")))
    elif name == "set-cookie":
        # Several cookies arrive joined by ", "; each starts `name=value;`.
        cookies = re.split(r",\s*(?=[^;=,\s]+=)", value)
        values.update(_cookie_values(cookie.split(";", 1)[0] for cookie in cookies))
    return values


def _cookie_values(cookies: Iterable[str]) -> set[str]:
    values: set[str] = set()
    for cookie in cookies:
        _, _, value = cookie.strip().partition("=")
        values.update((cookie.strip(), value.strip().strip('"')))
    return values


def _credential_values(value: Any, depth: int) -> Iterator[str]:
    """Strings under credential-named keys, also in JSON encoded inside strings."""
    stack: list[tuple[Any, bool, int]] = [(value, False, depth)]
    while stack:
        item, masked, level = stack.pop()
        if isinstance(item, str):
            if masked:
                yield item
            elif level < 4 and item.lstrip()[:1] in ("{", "[") and len(item) < 1 << 20:
                with contextlib.suppress(orjson.JSONDecodeError):
                    stack.append((orjson.loads(item), False, level + 1))
        elif isinstance(item, dict):
            stack.extend(
                (child, masked or (isinstance(key, str) and is_credential_field(key, item)), level)
                for key, child in item.items()
            )
        elif isinstance(item, (list, tuple)):
            stack.extend((child, masked, level) for child in item)
