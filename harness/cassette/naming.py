"""A test's cassette file name: readable, and one file per test id, always.

A name of plain characters is used as it is; any other name keeps a readable
stem and gains `@` and a hash of the whole name, so `test[a/b]`, `test[a b]`,
`test[a:b]` and `test[a-b]` are four files, and a very long name still fits
the file system. (`@` never appears in a plain name, so the two kinds cannot
meet.) A name that holds a secret (a parametrized key, say) shows only its
redacted form.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from harness.errors import ConfigError

_PLAIN = re.compile(r"[A-Za-z0-9_.\-\[\]]+")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-\[\]]+")
MAX_STEM = 150
"""Bytes; leaves room under the 255-byte limit for `.failed.yaml` and temporary names."""


def file_stem(name: str, shown: str | None = None) -> str:
    """The stem for test `name`; `shown` is what of it may be shown (its redacted form)."""
    shown = name if shown is None else shown
    if (
        shown == name
        and _PLAIN.fullmatch(name)
        and not name.startswith(".")
        and len(name) <= MAX_STEM
    ):
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    readable = _UNSAFE.sub("-", shown).strip("-.")[: MAX_STEM - 11] or "cassette"
    return f"{readable}@{digest}"


def legacy_stem(name: str) -> str:
    """The file name the first release gave the same test (read when no new file exists)."""
    return re.sub(r"[^A-Za-z0-9_.\-]+", "-", name).strip("-") or "cassette"


def cassette_location(
    cassette_dir: Path,
    relative_module: Path,
    test_name: str,
    name: str | None = None,
    redact: Callable[[str], str] = lambda text: text,
) -> tuple[Path, Path]:
    """(the cassette's path, where the first release kept it) for one test.

    `relative_module` is the test file's path below the root, without suffix;
    `test_name` includes the class (`TestX.test_y`). A marker `name` replaces the
    test name, and one with a slash is a path below the cassette folder.
    """
    if name and "/" in name:
        parts = Path(name).parts
        if Path(name).is_absolute() or ".." in parts:
            raise ConfigError(
                f"assistants_cassette(name={name!r}): must stay inside the cassette folder"
            )
        target = cassette_dir.joinpath(*parts[:-1])
        stem = file_stem(parts[-1], redact(parts[-1]))
        return target / (stem + ".yaml"), target / (parts[-1] + ".yaml")
    stem = name or test_name
    folder = cassette_dir / relative_module
    return folder / (file_stem(stem, redact(stem)) + ".yaml"), folder / (
        legacy_stem(stem) + ".yaml"
    )
