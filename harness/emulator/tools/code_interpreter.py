"""The code_interpreter tool: run code in the sandbox and turn what it did into outputs.

Each run gets a fresh temporary working directory holding the run's
code_interpreter files; the code runs there under `harness.emulator.tools.sandbox`.
What it printed (stdout and stderr) becomes the logs; PNG images it saved in
its working directory come back as images (the emulator makes them files with
purpose `assistants_output`, as the real tool did with figures).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness.emulator.tools.sandbox import Limits, run

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_IMAGES = 10


@dataclass(frozen=True)
class Image:
    name: str
    content: bytes

    def __repr__(self) -> str:  # never the bytes: an image may be tens of megabytes
        return f"Image(name={self.name!r}, {len(self.content)} bytes)"


@dataclass(frozen=True)
class Execution:
    """What one run of code produced; `isolation` names what held it (see the sandbox)."""

    logs: str
    timed_out: bool
    images: tuple[Image, ...] = ()
    truncated: bool = False
    isolation: str = ""
    dropped: tuple[str, ...] = ()
    """Images the code saved that were not kept: past `output_room`."""


async def execute(
    code: str,
    *,
    timeout: float,
    files: dict[str, bytes] | None = None,
    isolation: str = "auto",
    limits: Limits | None = None,
    output_room: int | None = None,
) -> Execution:
    """Run `code` in a fresh working directory holding `files`; cancelling stops it. Images
    are kept up to `output_room` bytes in all (None: only `MAX_IMAGES`, each up to the
    file size limit); the logs name those that were not."""
    limits = limits or Limits()
    base = Path(tempfile.mkdtemp(prefix="emulator-ci-"))
    try:
        base.chmod(0o711)  # `nobody` must reach the working directory when we run as root
        workdir, scratch = base / "work", base / "scratch"
        workdir.mkdir()
        scratch.mkdir(mode=0o700)
        given: dict[str, bytes] = {}
        for name, content in (files or {}).items():
            safe = Path(name).name
            if safe not in ("", ".", ".."):
                (workdir / safe).write_bytes(content)
                given[safe] = content
        outcome = await run(
            code,
            workdir=workdir,
            scratch=scratch,
            timeout=timeout,
            isolation=isolation,
            limits=limits,
        )
        logs = outcome.output.decode("utf-8", errors="replace")
        if outcome.truncated:
            logs += (
                f"\n[output truncated: the code printed more than {limits.output_bytes} bytes "
                "and was stopped]\n"
            )
        if outcome.timed_out:
            logs += f"Execution timed out after {timeout:g} seconds."
        room = limits.file_bytes * MAX_IMAGES if output_room is None else output_room
        images, dropped = _images(workdir, given, limits.file_bytes, room)
        if dropped:
            logs += (
                f"\n[not kept: {', '.join(dropped)}: the files code makes are limited to "
                f"{room} more bytes here]\n"
            )
        return Execution(
            logs, outcome.timed_out, images, outcome.truncated, outcome.isolation, dropped
        )
    finally:
        await _remove(base)


def run_code(
    code: str,
    *,
    timeout: float,
    files: dict[str, bytes] | None = None,
    isolation: str = "auto",
    limits: Limits | None = None,
    output_room: int | None = None,
) -> Execution:
    """`execute`, blocking (for scripts and tests; the emulator awaits `execute`)."""
    return asyncio.run(
        execute(
            code,
            timeout=timeout,
            files=files,
            isolation=isolation,
            limits=limits,
            output_room=output_room,
        )
    )


async def _remove(base: Path) -> None:
    try:
        await asyncio.to_thread(remove_tree, base)  # the code may have made many files
    except RuntimeError:  # the loop's executor is already shut down
        remove_tree(base)


def remove_tree(base: Path) -> None:
    """Remove `base` and all the code left in it, whatever permissions it gave: directories
    it made unreadable, unsearchable or read-only are made the owner's again first (the
    code ran as this user, or as `nobody` under a root emulator, which may change them).
    Only real directories are changed, never through a link the code planted; the code's
    processes are dead by now, so nothing swaps one for a link meanwhile."""
    pending = [str(base)]
    while pending:
        folder = pending.pop()
        try:
            if not stat.S_ISDIR(os.lstat(folder).st_mode):
                continue
            os.chmod(folder, 0o700)
            with os.scandir(folder) as entries:
                pending += [e.path for e in entries if e.is_dir(follow_symlinks=False)]
        except OSError:
            continue
    shutil.rmtree(base, ignore_errors=True)


def _images(
    workdir: Path, given: dict[str, bytes], max_bytes: int, room: int
) -> tuple[tuple[Image, ...], tuple[str, ...]]:
    """PNG files the code saved (or changed) at the top of its working directory, as many
    as fit in `room` bytes; and the names of those that did not (never read)."""
    found: list[Image] = []
    dropped: list[str] = []
    for name in sorted(os.listdir(workdir)):
        if len(found) == MAX_IMAGES:
            break
        if not name.lower().endswith(".png"):
            continue
        content = _read_regular(workdir / name, min(max_bytes, room))
        if content is _TOO_BIG:
            dropped.append(name)
            continue
        if content is None or not content.startswith(PNG_SIGNATURE) or given.get(name) == content:
            continue
        found.append(Image(name, content))
        room -= len(content)
    return tuple(found), tuple(dropped)


_TOO_BIG = b"too big"


def _read_regular(path: Path, max_bytes: int) -> bytes | None:
    """The file's bytes if it is a regular file (never through a link the code planted);
    `_TOO_BIG` if it holds more than `max_bytes`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with contextlib.closing(os.fdopen(fd, "rb")) as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None
        if info.st_size > max_bytes:
            return _TOO_BIG
        content = handle.read(max_bytes + 1)
        return _TOO_BIG if len(content) > max_bytes else content
