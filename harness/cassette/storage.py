"""Cassette files on disk: read, write atomically, lock, keep failed takes, never lose one.

A cassette is precious: it is only ever replaced by `os.replace` of a fully
written and flushed temporary file in the same folder, so a crash at any
moment leaves either the old file or the new one, never a mix. Temporary
files carry their writer's process id, so one a killed writer left behind is
swept by the next writer in that folder. A take that cannot be written where
it belongs (full disk, read-only folder, no permission) is written to a
fallback folder instead, and the error names both places.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock

from harness.cassette.format import dumps, loads
from harness.cassette.model import Cassette
from harness.errors import (
    CassetteError,
    CassetteFormatError,
    CassetteNotFoundError,
    CassetteWriteError,
)

_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)\.[a-z0-9_]+\.tmp")


def read_cassette(path: Path, hint: str = "") -> Cassette:
    """Load a cassette; `hint` is the command that would record it."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        fix = f"; record it with: {hint}" if hint else ""
        raise CassetteNotFoundError(f"{path}: cassette not found{fix}") from None
    except OSError as exc:
        raise CassetteFormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
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


def write_cassette(path: Path, cassette: Cassette) -> Path:
    """Write `cassette` to `path`, or to the fallback folder if `path` cannot be written.

    Returns the path written; raises `CassetteWriteError` (naming both) after a fallback.
    """
    text = dumps(cassette)
    try:
        write_atomic(path, text)
    except OSError as exc:
        saved = _save_elsewhere(path, text)
        why = exc.strerror or type(exc).__name__
        raise CassetteWriteError(
            f"{path}: cannot write the cassette ({why}); the take was saved to {saved}: "
            f"copy it there once the folder is writable"
        ) from None
    return path


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step, keeping an existing file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_temporaries(path.parent)
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{_short(path.name)}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def sweep_temporaries(folder: Path) -> None:
    """Delete the temporary files of writers that no longer run (killed mid-write)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            found = _TEMPORARY.fullmatch(entry.name)
            if found and not _alive(int(found["pid"])):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)


@contextlib.contextmanager
def locked(path: Path, timeout: float = 120.0) -> Iterator[None]:
    """Serialize processes that write the same cassette.

    The lock file lives in a folder of this user's (not the cassette folder),
    keyed by the cassette's absolute path.
    """
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32]
    with FileLock(str(lock_folder() / f"{digest}.lock"), timeout=timeout):
        yield


@functools.cache
def lock_folder() -> Path:
    """A folder only this user can write, for lock files: in the temporary folder, or in
    the user's cache when another user holds the temporary one."""
    candidates = [
        Path(tempfile.gettempdir()) / f"harness-locks-{_user_id()}",
        Path.home() / ".cache" / "pytest-assistants-harness" / "locks",
    ]
    for folder in candidates:
        if _own_folder(folder):
            return folder
    raise CassetteError(
        f"no usable folder for cassette locks: {candidates[0]} belongs to another user and "
        f"{candidates[1]} cannot be created; set TMPDIR to a folder of your own"
    )


def fallback_folder() -> Path:
    """Where takes that could not be written where they belong are kept."""
    return Path(tempfile.gettempdir()) / f"harness-takes-{_user_id()}"


def _save_elsewhere(path: Path, text: str) -> Path:
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    for folder in (fallback_folder(), Path.cwd() / ".harness-takes"):
        target = folder / f"{_short(path.stem)}-{digest}{path.suffix}"
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
            write_atomic(target, text)
            return target
    raise CassetteWriteError(f"{path}: cannot write the cassette, nor a copy anywhere else")


def _own_folder(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, mode=0o700, exist_ok=True)
        info = folder.lstat()
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != _user_id():
        return False
    return os.access(folder, os.W_OK | os.X_OK)


def _user_id() -> int:
    return os.getuid() if hasattr(os, "getuid") else 0


@functools.cache
def _umask() -> int:
    # Reading the umask means setting it; done once, before any writer thread runs.
    current = os.umask(0o022)
    os.umask(current)
    return current


def _mode_for(path: Path) -> int:
    """An existing file keeps its mode; a new one gets what the umask allows, like
    any file the user's tools create."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _short(name: str, limit: int = 120) -> str:
    """A file name part that leaves room for prefixes and suffixes under 255 bytes."""
    if len(name.encode()) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    return name.encode()[: limit - 13].decode("utf-8", "ignore") + "-" + digest


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, under another user
    return True


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
