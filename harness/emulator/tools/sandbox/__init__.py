"""Running untrusted Python in a separate, isolated, limited process group.

`run(code, workdir=..., timeout=..., isolation=..., limits=...)` starts
`launch.py` in a new session with a clean environment; on Linux it isolates
the code with namespaces when the kernel allows it ("namespaces"), else with
rlimits and a best-effort in-interpreter guard ("process"); see
`launch.py` and `cell.py` for what each does. Output (stdout and stderr
together) is read up to `limits.output_bytes`; past that, or past the
timeout, the whole process group is killed, as it is in any case at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from harness.emulator.errors import EmulatorError

ISOLATIONS = ("auto", "namespaces", "process")
_HERE = Path(__file__).parent
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
_DRAIN_AFTER_EXIT = 0.5


@dataclass(frozen=True)
class Limits:
    """Per-run limits. Memory and file size are per process; `processes` counts threads too."""

    memory_bytes: int = 512 * 1024 * 1024
    file_bytes: int = 64 * 1024 * 1024
    processes: int = 8
    open_files: int = 64
    output_bytes: int = 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    """What a run printed and how it ended; `isolation` is what actually held the code."""

    output: bytes
    timed_out: bool
    truncated: bool
    isolation: str
    reason: str | None = None


class SandboxUnavailableError(EmulatorError, RuntimeError):
    """Isolation "namespaces" was required and this machine refuses it."""


def readable_paths() -> list[str]:
    """What the code may read: the system's libraries and this Python installation."""
    python = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    python.append(str(Path(os.path.realpath(sys.executable)).parent.parent))
    paths = list(_SYSTEM_DIRS) + python + [os.path.realpath(p) for p in python]
    return [p for p in dict.fromkeys(paths) if os.path.lexists(p)]


def environment(workdir: Path) -> dict[str, str]:
    """The code's whole environment: nothing of the parent's."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "MPLBACKEND": "Agg",
        # one thread each: threads count against the process limit
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


async def run(
    code: str,
    *,
    workdir: Path,
    scratch: Path,
    timeout: float,
    isolation: str = "auto",
    limits: Limits | None = None,
) -> Outcome:
    """Run `code` with `workdir` as its working directory; `scratch` is a private empty
    directory for the sandbox's own use. Cancelling the caller kills the process group."""
    if isolation not in ISOLATIONS:
        raise ValueError(f"isolation must be one of {ISOLATIONS}, not {isolation!r}")
    limits = limits or Limits()
    if not sys.platform.startswith("linux"):
        isolation = "process"
    (scratch / "root").mkdir()
    source = scratch / "code.py"
    source.write_text(code, encoding="utf-8")
    config: dict[str, object] = {
        "workdir": str(workdir),
        "root": str(scratch / "root"),
        "isolation": isolation,
        "readable": readable_paths(),
        "limits": {**asdict(limits), "cpu_seconds": int(timeout) + 1},
        "cell": (_HERE / "cell.py").read_text(encoding="utf-8"),
    }
    loop = asyncio.get_running_loop()
    status_r, status_w = os.pipe()
    output_r, output_w = os.pipe()
    config["status_fd"] = status_w
    try:
        with source.open("rb") as stdin:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-I",
                "-S",
                str(_HERE / "launch.py"),
                json.dumps(config),
                stdin=stdin,
                stdout=output_w,
                stderr=output_w,
                cwd=workdir,
                env=environment(workdir),
                start_new_session=True,
                pass_fds=(status_w,),
            )
    except BaseException:
        os.close(output_r)
        os.close(status_r)
        raise
    finally:
        os.close(status_w)
        os.close(output_w)
    collector = _Collector(loop, limits.output_bytes)
    pipe = open(output_r, "rb", 0)  # noqa: SIM115 (the transport closes it)
    transport: asyncio.BaseTransport | None = None
    try:
        transport, _ = await loop.connect_read_pipe(lambda: collector, pipe)
        timed_out = await _wait(proc, collector, timeout)
    finally:
        if transport is not None:
            transport.close()
        else:
            pipe.close()
        _kill_group(proc.pid)
        await proc.wait()
        status = _read_status(status_r)
    if "error" in status:
        raise SandboxUnavailableError(
            f"code_interpreter: isolation 'namespaces' is not available here: {status['error']}"
        )
    return Outcome(
        bytes(collector.buffer),
        timed_out,
        collector.truncated,
        str(status.get("isolation", "unknown")),
        status.get("reason"),  # type: ignore[arg-type]
    )


def describe_isolation(isolation: str = "auto") -> str:
    """One line saying what will hold the code here (runs a trivial program to find out);
    raises SandboxUnavailableError when `isolation` is "namespaces" and they are not."""
    import tempfile

    async def probe() -> Outcome:
        with tempfile.TemporaryDirectory(prefix="emulator-probe-") as base:
            work, scratch = Path(base) / "work", Path(base) / "scratch"
            work.mkdir()
            scratch.mkdir()
            return await run("pass", workdir=work, scratch=scratch, timeout=10, isolation=isolation)

    outcome = asyncio.run(probe())  # SandboxUnavailableError when "namespaces" cannot hold
    if outcome.isolation == "namespaces":
        return "runs code isolated by the kernel (user, mount, PID and network namespaces)"
    why = f" ({outcome.reason})" if outcome.reason else ""
    return (
        "runs code with resource limits and a best-effort guard only: user namespaces are "
        f"unavailable here{why}"
        if outcome.reason
        else "runs code with resource limits and a best-effort guard only (--sandbox process)"
    )


class _Collector(asyncio.Protocol):
    """Keeps the first `limit` bytes of the output; `done` when it ends or overflows."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int) -> None:
        self.limit = limit
        self.buffer = bytearray()
        self.truncated = False
        self.done: asyncio.Future[object] = loop.create_future()
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        room = self.limit - len(self.buffer)
        self.buffer.extend(data[:room])
        if len(data) > room and self.transport is not None:
            self.truncated = True
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def _wait(proc: asyncio.subprocess.Process, collector: _Collector, timeout: float) -> bool:
    """Wait for the output to end, the cap, or the timeout; True on the timeout."""
    exited: asyncio.Future[object] = asyncio.ensure_future(proc.wait())
    output: asyncio.Future[object] = collector.done
    try:
        await asyncio.wait({output, exited}, timeout=timeout, return_when="FIRST_COMPLETED")
        if exited.done() and not collector.done.done():
            # the code is done; what is left is a child that still holds the pipe
            await asyncio.wait({collector.done}, timeout=_DRAIN_AFTER_EXIT)
        return not collector.done.done() and not exited.done()
    finally:
        exited.cancel()


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _read_status(fd: int) -> dict[str, object]:
    os.set_blocking(fd, False)
    data = b""
    with contextlib.suppress(BlockingIOError):
        while chunk := os.read(fd, 4096):
            data += chunk
    os.close(fd)
    try:
        status = json.loads(data.splitlines()[0]) if data.strip() else {}
    except ValueError:
        status = {}
    return status if isinstance(status, dict) else {}
