"""Planted secrets for attack tests, and the search for every trace of them.

A planted value is built at run time (no key-shaped literal in the repository)
and looked for in every shape it could leak in: whole, any 12-character piece
of it, and its base64 forms in all three alignments (standard and URL-safe).
"""

from __future__ import annotations

import base64
import secrets
import string
from pathlib import Path

PIECE = 12
_ALNUM = string.ascii_letters + string.digits


def openai_key() -> str:
    """A fresh key shaped like OpenAI's project keys (caught by the key pattern)."""
    return "sk-" + "proj-" + "".join(secrets.choice(_ALNUM) for _ in range(40))


def opaque(prefix: str = "Zq") -> str:
    """A fresh secret no pattern knows: found only if redaction learned it."""
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(30)) + "7x"


def azure_key() -> str:
    """A fresh key shaped like Azure OpenAI's: 32 lower-case hex digits."""
    while True:
        value = secrets.token_hex(16)
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            return value


def traces(value: str) -> set[bytes]:
    """Every byte string whose presence means `value` leaked."""
    raw = value.encode()
    found = {raw[i : i + PIECE] for i in range(max(1, len(raw) - PIECE + 1))}
    for offset in range(3):
        chunk = raw[offset:]
        chunk = chunk[: len(chunk) // 3 * 3]
        if len(chunk) >= 9:
            encoded = base64.b64encode(chunk)
            found.update((encoded, encoded.replace(b"+", b"-").replace(b"/", b"_")))
    return found


def leaks(data: bytes | str, planted: dict[str, str]) -> list[str]:
    """The names of the planted values that `data` holds a trace of."""
    blob = data.encode() if isinstance(data, str) else data
    return [name for name, value in planted.items() if any(t in blob for t in traces(value))]


def files_under(folder: Path, *, skip: tuple[str, ...] = ()) -> dict[Path, bytes]:
    """Every file below `folder` (hidden ones too), by path, except those named in `skip`."""
    return {
        path: path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name not in skip and "__pycache__" not in path.parts
    }


def assert_no_leaks(folder: Path, output: str, planted: dict[str, str]) -> None:
    """No file below `folder` (its name or its bytes) and no output holds a trace."""
    for path, data in files_under(folder, skip=("secrets.json",)).items():
        found = leaks(data, planted) + leaks(str(path.relative_to(folder)), planted)
        assert found == [], f"{path} holds a trace of {found}"
    assert leaks(output, planted) == [], f"the output holds a trace of {leaks(output, planted)}"
