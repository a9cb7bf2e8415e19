"""Where secrets sit in one piece of text: every rule compiled once, answering spans.

`TextRules.spans(text)` finds each stretch to replace, whatever shape the
secret takes there: a known value or a secret-looking pattern; a
credential-named field in JSON (also JSON encoded inside a string, at any
depth), in a Python dict or in `name=value` text; base64 that decodes to any
of those. Spans rather than a rewritten string let a streamed text be
redacted whole and cut back into its deltas, and let `harness verify` say
where each finding sits.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from harness.cassette.credentials import (
    NAME_FRAGMENTS,
    PATTERNS,
    REDACTED,
    SUBSTRING_MIN,
    WHOLE_FIELD_MIN,
    is_credential_field,
    is_credential_name,
    looks_like_words,
    normalise,
)
from harness.encodings import base64_forms, escaped_forms

BASE64 = " (base64)"  # suffix of the kind of a secret found in its base64 form
ESCAPED = " (escaped)"  # ... found percent-encoded, JSON-escaped or as hex
_MAX_DEPTH = 6  # JSON inside a JSON string inside ...: deeper is not data, it is an attack
_NAME = r"[A-Za-z_][\w\-.]{0,63}"
# `"password": "..."`, `'password': '...'` (a Python dict), `\"password\": \"...\"`
# (JSON inside a JSON string, seen as text), `?password=...` in a URL, and the
# assignments people paste: `DB_PASSWORD="..."`, `password: '...'`, `secret = ...`,
# `aws_secret_access_key = ...` (quoted or not; unquoted, the value runs to the
# next space: `Tr0ub4dor&3xyz` is one value).
_PAIRS = re.compile(
    rf'"(?P<dq>{_NAME})"\s*:\s*"(?P<dqv>(?:[^"\\\n]|\\.)*)"'
    rf"|'(?P<sq>{_NAME})'\s*:\s*'(?P<sqv>(?:[^'\\\n]|\\.)*)'"
    rf'|\\"(?P<eq>{_NAME})\\"\s*:\s*\\"(?P<eqv>(?:[^"\\\n]|\\[^"])*?)\\"'
    rf"|(?P<qp>[?&])(?P<qn>{_NAME})=(?P<qv>[^&#\s\"'<>]+)"
    rf'|(?<![\w.])(?P<an>{_NAME})[ \t]*[:=][ \t]*"(?P<adv>(?:[^"\\\n]|\\.)*)"'
    rf"|(?<![\w.])(?P<as>{_NAME})[ \t]*[:=][ \t]*'(?P<asv>(?:[^'\\\n]|\\.)*)'"
    rf"|(?<![\w.])(?P<au>{_NAME})(?:[ \t]*=[ \t]*|:[ \t]*)(?P<auv>[^\s\"'<>]+)"
)
_PAIR_GROUPS = (
    ("dq", "dqv"),
    ("sq", "sqv"),
    ("eq", "eqv"),
    ("qn", "qv"),
    ("an", "adv"),
    ("as", "asv"),
    ("au", "auv"),
)
_FREE = frozenset({"an", "as", "au"})  # names in free text, not in JSON or a URL
_TRAILING = ".,;:)]}"  # sentence punctuation after an unquoted value
# An unquoted value that is code, not a secret: `get_key()`, `env["X"]`, `$DB_PASSWORD`.
_CODE = re.compile(r"[\w.]+[(\[].*[)\]]|\$\{?\w+\}?|%\(\w+\)s|\{\{.*\}\}")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/\-_]{16,}={0,2}")
_BASE64_CHARS = re.compile(r"[A-Za-z0-9+/\-_=]")
_CACHED_LENGTH, _CACHE_SIZE = 64, 4096  # keys and short values recur in every body
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
# One unit per decoded character: a surrogate pair, an escape, or a plain character.
_JSON_CHAR = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\.|[^\\]",
    re.S,
)


@dataclass(frozen=True)
class Span:
    """`text[start:end]` is a secret of this kind."""

    start: int
    end: int
    kind: str


def apply(text: str, spans: Sequence[Span]) -> str:
    """`text` with each (merged, sorted) span replaced by `REDACTED`."""
    if not spans:
        return text
    parts: list[str] = []
    cursor = 0
    for span in spans:
        parts += (text[cursor : span.start], REDACTED)
        cursor = span.end
    parts.append(text[cursor:])
    return "".join(parts)


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted spans with overlapping ones joined (the first one's kind kept)."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            if span.end > last.end:
                merged[-1] = Span(last.start, span.end, last.kind)
        else:
            merged.append(span)
    return merged


class TextRules:
    """Every rule, compiled once, for one set of known values.

    `known` maps each value to be removed wherever it occurs to its kind;
    `whole` ones are only replaced where a whole string equals them;
    `extra` are users' regular expressions.
    """

    def __init__(
        self,
        known: Mapping[str, str] | None = None,
        whole: Mapping[str, str] | None = None,
        extra: Sequence[str] = (),
    ) -> None:
        self.whole = dict(whole or {})
        # One alternation of literals without groups is the fastest `re` offers;
        # the kind is looked up by the text matched.
        self._kinds: dict[str, str] = {}
        for value, kind in (known or {}).items():
            for form in base64_forms(value):
                self._kinds.setdefault(form, kind + BASE64)
            for form in escaped_forms(value):
                self._kinds.setdefault(form, kind + ESCAPED)
        for value, kind in (known or {}).items():
            self._kinds[value] = kind
        literals = sorted(self._kinds, key=len, reverse=True)
        self._known = re.compile("|".join(map(re.escape, literals))) if literals else None
        self._patterns = [(kind, re.compile(regex), anchors) for kind, regex, anchors in PATTERNS]
        anchors = {anchor for _, _, group in PATTERNS for anchor in group}
        self._anchors = re.compile("|".join(map(re.escape, sorted(anchors, key=len, reverse=True))))
        self._extra = [re.compile(p) for p in extra if p]
        self._cache: dict[str, list[Span]] = {}

    # --- spans ------------------------------------------------------------------

    def spans(self, text: str) -> list[Span]:
        """Every secret in `text`, merged and sorted."""
        if len(text) > _CACHED_LENGTH:
            return merge(self._find(text, 0))
        found = self._cache.get(text)
        if found is None:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            found = self._cache[text] = merge(self._find(text, 0))
        return found

    def bytes_spans(self, data: bytes) -> list[Span]:
        """Every secret in binary data (offsets are byte offsets)."""
        return merge(self._find(data.decode("latin-1"), _MAX_DEPTH))

    def _find(self, text: str, depth: int) -> list[Span]:
        found: list[Span] = []
        if not text or text == REDACTED:
            return found
        if text in self.whole:
            found.append(Span(0, len(text), self.whole[text]))
            return found
        if len(text) >= SUBSTRING_MIN:  # else shorter than any secret the rules know
            squeezed = text.lower().replace("-", "").replace("_", "")
            named = any(fragment in squeezed for fragment in NAME_FRAGMENTS)
            self._matches(text, found)
            if named:
                self._pairs(text, found)
            self._encoded(text, found)
            # Scanned as it stands, a JSON text hides only credential-named
            # fields, escaped text (JSON inside it) and whole-field values.
            if (
                depth < _MAX_DEPTH
                and text.lstrip()[:1] in ("{", "[")
                and (named or "\\" in text or any(value in text for value in self.whole))
            ):
                self._json(text, depth, found)
        for regex in self._extra:
            found += (
                Span(m.start(), m.end(), "user pattern") for m in regex.finditer(text) if m.end()
            )
        return found

    def _matches(self, text: str, found: list[Span]) -> None:
        """Known values (and their base64 forms) and secret-looking patterns."""
        if self._known is not None:
            for match in self._known.finditer(text):
                kind = self._kinds[match.group()]
                start, end = match.span()
                if kind.endswith(BASE64):
                    start, end = _base64_run(text, start, end)
                found.append(Span(start, end, kind))
        present = set(self._anchors.findall(text.lower()))
        for kind, regex, anchors in self._patterns:
            if not present.intersection(anchors):
                continue
            grouped = "s" in regex.groupindex
            for match in regex.finditer(text):
                if not grouped:
                    found.append(Span(match.start(), match.end(), kind))
                elif not looks_like_words(match.group("s")) or "://" in match.group():
                    found.append(Span(match.start("s"), match.end("s"), kind))

    def _pairs(self, text: str, found: list[Span]) -> None:
        """Values of credential-named fields and parameters written as text."""
        logprobs = "logprob" in text  # `"token": "..."` there is what the model wrote
        for match in _PAIRS.finditer(text):
            for name_group, value_group in _PAIR_GROUPS:
                name = match.group(name_group)
                if name is None:
                    continue
                value = match.group(value_group)
                query = name_group == "qn"
                if not value or value == REDACTED or not is_credential_name(name, query=query):
                    break
                if logprobs and normalise(name) == "token":
                    break
                start, end = match.start(value_group), match.end(value_group)
                if name_group == "au":
                    stripped = value.rstrip(_TRAILING)
                    end -= len(value) - len(stripped)
                    value = stripped
                if name_group in _FREE and (
                    len(value) < WHOLE_FIELD_MIN
                    or looks_like_words(value)
                    or _CODE.fullmatch(value)
                    or REDACTED in value
                ):
                    break  # free text: `token: str`, `key=len(x)` are code, not secrets
                found.append(Span(start, end, "credential field"))
                break

    def _encoded(self, text: str, found: list[Span]) -> None:
        """Base64 runs that decode to a secret."""
        for match in _BASE64_RUN.finditer(text):
            decoded = _decode_base64(match.group())
            if decoded is None:
                continue
            inner: list[Span] = []
            self._matches(decoded.decode("latin-1"), inner)
            if inner:
                kind = inner[0].kind
                kind = kind if kind.endswith(BASE64) else kind + BASE64
                found.append(Span(match.start(), match.end(), kind))

    def _json(self, text: str, depth: int, found: list[Span]) -> None:
        """Credential-named fields of a JSON text, and secrets inside its strings
        (decoded, so an escaped or JSON-encoded secret is found too)."""
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError:
            return
        tokens = list(_JSON_STRING.finditer(text))
        strings = _strings(data)
        if len(tokens) != len(strings):  # duplicate keys: positions are not known
            return
        for token, (is_key, value, masked) in zip(tokens, strings, strict=True):
            start, end = token.start() + 1, token.end() - 1
            if masked and not is_key:
                if value and value != REDACTED:
                    found.append(Span(start, end, "credential field"))
                continue
            raw = text[start:end]
            if raw == value and value.lstrip()[:1] not in ("{", "[") and value not in self.whole:
                continue  # the scan of the whole text saw it as it is
            inner = merge(self._find(value, depth + 1))
            if not inner:
                continue
            offsets = [m.start() for m in _JSON_CHAR.finditer(raw)] + [len(raw)]
            if len(offsets) != len(value) + 1:
                found.append(Span(start, end, inner[0].kind))
                continue
            found += (
                Span(start + offsets[span.start], start + offsets[span.end], span.kind)
                for span in inner
            )


def _strings(value: Any) -> list[tuple[bool, str, bool]]:
    """(is a key, string, under a credential-named key) in document order."""
    out: list[tuple[bool, str, bool]] = []
    stack: list[tuple[Any, bool, bool]] = [(value, False, False)]  # (item, masked, is a key)
    while stack:
        item, masked, is_key = stack.pop()
        if isinstance(item, str):
            out.append((is_key, item, masked))
        elif isinstance(item, dict):
            pending: list[tuple[Any, bool, bool]] = []
            for key, child in item.items():
                secret = masked or is_credential_field(key, item)
                pending += ((key, masked, True), (child, secret, False))
            stack.extend(reversed(pending))
        elif isinstance(item, list):
            stack.extend((child, masked, False) for child in reversed(item))
    return out


def _base64_run(text: str, start: int, end: int) -> tuple[int, int]:
    """The whole run of base64 characters around `text[start:end]`."""
    while start > 0 and _BASE64_CHARS.match(text, start - 1):
        start -= 1
    while end < len(text) and _BASE64_CHARS.match(text, end):
        end += 1
    return start, end


def _decode_base64(run: str) -> bytes | None:
    body = run.rstrip("=")
    if ("-" in body or "_" in body) and ("+" in body or "/" in body):
        return None
    body = body[: len(body) - len(body) % 4] if len(body) % 4 == 1 else body
    padded = body + "=" * (-len(body) % 4)
    try:
        if "-" in body or "_" in body:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
