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
import time
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock

from harness.cassette.format import dumps, loads
from harness.cassette.model import FORMAT_VERSION, Cassette
from harness.errors import (
    CassetteError,
    CassetteFormatError,
    CassetteNotFoundError,
    CassetteWriteError,
)

_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)\.[a-z0-9_]+\.tmp")


MAX_CASSETTE_BYTES = 256 * 1024 * 1024
"""A cassette larger than this is refused unread (a link to /dev/zero never ends)."""
_FORMAT_LINE = re.compile(rb"^format: ([0-9]{1,9})[ \t]*\r?$", re.M)


def read_cassette(
    path: Path, hint: str = "", root: Path | None = None, *, responses_later: bool = False
) -> Cassette:
    """Load a cassette; `hint` is the command that would record it, `root` the cassette
    folder it must stay inside (default: its own folder). `responses_later`: each response
    is read when first used (`harness.cassette.format.loads`), as replay does."""
    try:
        raw = read_file(path, root)
    except FileNotFoundError:
        fix = f"; record it with: {hint}" if hint else ""
        raise CassetteNotFoundError(f"{path}: cassette not found{fix}") from None
    except OSError as exc:
        raise CassetteFormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return loads(raw, str(path), responses_later=responses_later)


def read_file(path: Path, root: Path | None = None) -> bytes:
    """The bytes of a cassette file, which is untrusted input: a regular file only (no
    FIFO, device or folder), inside `root` (a symlink may not lead out of the cassette
    folder), at most `MAX_CASSETTE_BYTES`. `CassetteFormatError` in one line otherwise;
    `FileNotFoundError` and other `OSError`s pass."""
    folder = (root if root is not None else path.parent).resolve()
    try:
        target = path.resolve(strict=True)
    except RuntimeError:  # a symlink loop
        raise CassetteFormatError(f"{path}: a symlink loop, not a cassette") from None
    if target != folder and folder not in target.parents:
        raise CassetteFormatError(
            f"{path}: a symlink leading out of the cassette folder {folder} (to {target}); "
            "a cassette is read only from inside it"
        )
    _refuse_unless_regular(path, os.stat(path).st_mode)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        _refuse_unless_regular(path, info.st_mode)
        if info.st_size > MAX_CASSETTE_BYTES:
            raise CassetteFormatError(_too_large(path))
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read(MAX_CASSETTE_BYTES + 1)
    finally:
        os.close(fd)
    if len(raw) > MAX_CASSETTE_BYTES:
        raise CassetteFormatError(_too_large(path))
    return raw


def _refuse_unless_regular(path: Path, mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    kind = (
        "a FIFO"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a folder"
        if stat.S_ISDIR(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    raise CassetteFormatError(f"{path}: {kind}, not a cassette file; a cassette is a plain file")


def _too_large(path: Path) -> str:
    return (
        f"{path}: larger than {MAX_CASSETTE_BYTES // (1024 * 1024)} MiB, not read; "
        "a cassette this size is not a recording"
    )


def refuse_newer_format(path: Path) -> None:
    """Raise unless recording may replace `path`: a cassette a newer harness wrote is
    never downgraded by this one."""
    version = written_format(path)
    if version is not None and version > FORMAT_VERSION:
        raise CassetteFormatError(
            f"{path}: written in cassette format {version}, newer than this harness writes "
            f"({FORMAT_VERSION}); recording would downgrade it: upgrade pytest-assistants-harness"
        )


def written_format(path: Path) -> int | None:
    """The `format:` version an existing cassette declares (None if it names none)."""
    try:
        if not path.is_file():  # never open a FIFO to find out
            return None
        with path.open("rb") as handle:
            head = handle.read(64 * 1024)
    except OSError:
        return None
    found = _FORMAT_LINE.search(head)
    return int(found.group(1)) if found else None


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


def claim_across_processes(run_id: str, key: str, owner: str) -> str:
    """Claim `key` (a cassette) for `owner` (a test) among the processes of run `run_id`
    (xdist workers); the test that holds it, `owner` when it is now this one's."""
    folder = lock_folder() / f"claims-{hashlib.sha256(run_id.encode()).hexdigest()[:16]}"
    if not folder.is_dir():
        _sweep_old_claims(folder.parent)
        folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / hashlib.sha256(key.encode()).hexdigest()[:32]
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(200):  # the other worker may be between creating and writing it
            held = path.read_text(encoding="utf-8")
            if held:
                return held
            time.sleep(0.01)
        return "another test of this run"
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(owner)
    return owner


def _sweep_old_claims(folder: Path, age: float = 86_400.0) -> None:
    """Remove the claims of runs that ended long ago (a run's folder is never reused)."""
    now = time.time()
    with contextlib.suppress(OSError):
        for old in folder.glob("claims-*"):
            with contextlib.suppress(OSError):
                if now - old.stat().st_mtime > age:
                    for claim in old.iterdir():
                        claim.unlink()
                    old.rmdir()


def fallback_folder() -> Path:
    """Where takes that could not be written where they belong are kept."""
    return Path(tempfile.gettempdir()) / f"harness-takes-{_user_id()}"


def _save_elsewhere(path: Path, text: str) -> Path:
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    for folder in (fallback_folder(), Path.cwd() / ".harness-takes"):
        target = folder / f"{_short(path.stem)}-{digest}{path.suffix}"
        # A take holds the conversation: only into a folder of this user's that no one
        # else can write (another user could have made it first, to read or swap takes).
        if not _own_folder(folder):
            continue
        with contextlib.suppress(OSError):
            write_atomic(target, text)
            return target
    raise CassetteWriteError(f"{path}: cannot write the cassette, nor a copy anywhere else")


def _own_folder(folder: Path) -> bool:
    """`folder` exists (made 0700 if new), is a real folder of this user's, and no one else
    may write in it."""
    try:
        folder.mkdir(parents=True, mode=0o700, exist_ok=True)
        info = folder.lstat()
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != _user_id():
        return False
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False  # others could add, swap or remove files in it
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
