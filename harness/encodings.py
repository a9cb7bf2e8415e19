"""The ways a secret can be written down: its base64, percent-encoded, JSON-escaped and
hex forms. The recorder's redactor and the emulator's model client both remove every
one of them (a server may quote a key back in any of these)."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus


def base64_forms(value: str) -> set[str]:
    """Text that appears in the base64 of any data holding `value`, whatever its
    alignment: each of the three byte offsets, standard and URL-safe alphabets."""
    raw = value.encode()
    forms: set[str] = set()
    for offset in range(3):
        chunk = raw[offset:]
        chunk = chunk[: len(chunk) // 3 * 3]
        if len(chunk) >= 6:
            encoded = base64.b64encode(chunk).decode()
            forms.update((encoded, encoded.replace("+", "-").replace("/", "_")))
    return forms


def escaped_forms(value: str) -> set[str]:
    """`value` as a URL, a JSON text or a hex dump writes it, where that differs: a
    client may put a credential with `+`, `/` or `=` in a query string, an ASCII-only
    JSON encoder may escape it, a log may show its bytes."""
    raw = value.encode()
    forms = {
        quote(value, safe=""),
        quote_plus(value, safe=""),
        json.dumps(value)[1:-1],
        "".join(f"\\u{ord(c):04x}" for c in value) if value.isascii() else value,
        raw.hex(),
        raw.hex().upper(),
    }
    forms.discard(value)
    return forms


def every_form(value: str) -> list[str]:
    """`value` and each form it can take, longest first (replace in this order)."""
    return sorted({value, *base64_forms(value), *escaped_forms(value)}, key=len, reverse=True)
