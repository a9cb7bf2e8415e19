"""Cassette files on disk: read, write atomically, lock, keep failed takes.

A cassette is precious: it is only ever replaced by `os.replace` of a fully
written and flushed temporary file in the same folder, so a crash at any
moment leaves either the old file or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock

from harness.cassette.format import dumps, loads
from harness.cassette.model import Cassette
from harness.errors import CassetteFormatError, CassetteNotFoundError


def read_cassette(path: Path, hint: str = "") -> Cassette:
    """Load a cassette; `hint` is the command that would record it."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        fix = f"; record it with: {hint}" if hint else ""
        raise CassetteNotFoundError(f"{path}: cassette not found{fix}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteFormatError(
            f"{path}: not a text cassette (byte {exc.start} is not UTF-8)"
        ) from None
    return loads(text, str(path))


def failed_path(path: Path) -> Path:
    """Where a recording whose test failed is kept: `<name>.failed.yaml`."""
    return path.with_name(path.stem + ".failed" + path.suffix)


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def write_cassette(path: Path, cassette: Cassette) -> None:
    write_atomic(path, dumps(cassette))


@contextlib.contextmanager
def locked(path: Path, timeout: float = 120.0) -> Iterator[None]:
    """Serialize processes that record the same cassette.

    The lock file lives in the temporary folder, keyed by the cassette's
    absolute path, so no lock files litter the cassette folder.
    """
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32]
    folder = Path(tempfile.gettempdir()) / "harness-locks"
    folder.mkdir(exist_ok=True)
    with FileLock(str(folder / f"{digest}.lock"), timeout=timeout):
        _remove_stale_temporaries(path)
        yield


def _remove_stale_temporaries(path: Path) -> None:
    """Delete what killed writers of `path` left: every writer holds this lock."""
    stale = re.compile(rf"\.{re.escape(path.name)}\.[a-z0-9_]{{8}}\.tmp")
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent):
            if stale.fullmatch(entry.name):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
