"""A planted secret and every form of it a leak could take (whole, any 12-character piece, base64)."""

from __future__ import annotations

import base64
import secrets


def planted_key() -> str:
    """A fresh key-shaped secret, built at run time so no copy of it exists anywhere else."""
    return "sk-" + secrets.token_hex(24)


def forms(secret: str) -> list[bytes]:
    """The secret, its 12-character pieces, and its base64 encodings at every alignment."""
    raw = secret.encode()
    found = [raw] + [raw[i : i + 12] for i in range(len(raw) - 11)]
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * shift + raw)
            found.append(encoded[4:-4])  # the middle does not depend on what surrounds it
    return found


def leaks(secret: str, data: str | bytes) -> list[str]:
    """Which forms of `secret` appear in `data` (empty when none does)."""
    blob = data.encode("utf-8", "replace") if isinstance(data, str) else data
    return [form.decode() for form in forms(secret) if form in blob]
