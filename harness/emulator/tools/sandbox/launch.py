"""The sandbox's first process: isolate, limit, drop privileges, then exec the cell runner.

Run as a script (`python -I -S launch.py CONFIG`) by `harness.emulator.tools.sandbox`;
stdlib only, Linux only. With `isolation` "namespaces" or "auto" it puts the
code in new user, mount, PID, network, IPC and UTS namespaces: a read-only
view of the system's and Python's directories, a writable working directory,
no network, a fresh /proc, and no capabilities. Where the kernel refuses
(no unprivileged user namespaces), "auto" falls back to "process": rlimits
and a best-effort guard inside the interpreter (`cell.py`). Which one ran is
written as one JSON line to the status descriptor before any user code runs.

Process tree with namespaces: this process (outside) -> `inner` (in the new
user namespace; writes nothing, waits) -> `init` (PID 1 of the new PID
namespace: builds the view and execs the cell). When PID 1 ends, the kernel
kills everything left in its namespace.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import resource
import signal
import stat
import sys
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 32, 1024, 2048, 4096
MS_REC, MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 16384, 1 << 18, 1 << 21, 1 << 24
ST_RELATIME = 4096
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
NOBODY = 65534
SETUP_FAILED = 97
DEVICES = ("null", "zero", "full", "random", "urandom")
STDIO_LINKS = (
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
)
_OCTAL = re.compile(r"\\([0-7]{3})")

LINUX = sys.platform.startswith("linux")
_libc = ctypes.CDLL(None, use_errno=True)
if LINUX:
    _libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
    _libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4


class SetupError(Exception):
    """Isolation could not be set up on this machine (before any user code ran)."""


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(errno)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    _check(
        _libc.mount(
            source.encode() if source else None,
            target.encode(),
            fstype.encode() if fstype else None,
            flags,
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def _prctl(option: int, value: int) -> None:
    if not LINUX:
        return
    _check(_libc.prctl(option, value, 0, 0, 0), f"prctl {option}")


def _kept_flags(path: str) -> int:
    """The mount flags a remount must keep (the kernel locks them in a user namespace)."""
    flag = os.statvfs(path).f_flag
    kept = MS_NOSUID | MS_NODEV
    for st, ms in ((os.ST_NOEXEC, MS_NOEXEC), (os.ST_NOATIME, MS_NOATIME)):
        if flag & st:
            kept |= ms
    if flag & os.ST_NODIRATIME:
        kept |= MS_NODIRATIME
    if flag & ST_RELATIME:
        kept |= MS_RELATIME
    elif not flag & os.ST_NOATIME:
        kept |= MS_STRICTATIME
    return kept


def _mounts_under(target: str) -> list[str]:
    with open("/proc/self/mountinfo", encoding="utf-8") as info:
        points = [line.split()[4] for line in info]
    points = [_OCTAL.sub(lambda m: chr(int(m.group(1), 8)), p) for p in points]  # "\040"
    return [p for p in points if p == target or p.startswith(target.rstrip("/") + "/")]


class View:
    """The file system the code sees: a read-only tmpfs root holding read-only binds."""

    def __init__(self, root: str) -> None:
        self.root = root

    def inside(self, path: str) -> str:
        return os.path.join(self.root, path.lstrip("/"))

    def build(self, config: dict[str, Any]) -> None:
        limit = config["limits"]["file_bytes"]
        _mount("tmpfs", self.root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16m")
        # The scratch folders first: the Python installation may live below one of them (a
        # virtual environment in a checkout under /tmp), and a tmpfs mounted later would
        # hide it.
        for path, size in (("/tmp", limit), ("/dev/shm", limit)):
            os.makedirs(self.inside(path), exist_ok=True)
            _mount("tmpfs", self.inside(path), "tmpfs", MS_NOSUID | MS_NODEV, f"size={size}")
        for path in sorted(config["readable"], key=lambda p: p.count("/")):
            self.bind_readonly(path)  # parents first: a parent bound later would hide a child
        os.makedirs(self.inside("/dev"), exist_ok=True)
        for name in DEVICES:
            host = f"/dev/{name}"
            if os.path.exists(host):
                with open(self.inside(host), "wb"):
                    pass
                _mount(host, self.inside(host), None, MS_BIND)
        for name, target in STDIO_LINKS:
            os.symlink(target, self.inside(f"/dev/{name}"))
        self.bind_writable(config["workdir"])
        os.makedirs(self.inside("/proc"), exist_ok=True)

    def bind_readonly(self, path: str) -> None:
        if not os.path.lexists(path) or os.path.lexists(self.inside(path)):
            return
        if os.path.islink(path) and os.path.dirname(path) == "/":
            os.symlink(os.readlink(path), self.inside(path))  # /bin -> usr/bin
            return
        target = self.inside(path)
        if os.path.isdir(path):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb"):
                pass
        _mount(path, target, None, MS_BIND | MS_REC)
        for point in _mounts_under(target):
            _mount(None, point, None, MS_BIND | MS_REMOUNT | MS_RDONLY | _kept_flags(point))

    def bind_writable(self, path: str) -> None:
        target = self.inside(path)
        os.makedirs(target, exist_ok=True)
        _mount(path, target, None, MS_BIND)
        _mount(None, target, None, MS_BIND | MS_REMOUNT | _kept_flags(target))

    def enter(self) -> bool:
        """Mount /proc (when allowed), seal the root read-only and chroot; True with /proc."""
        try:
            _mount("proc", self.inside("/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            has_proc = True
        except SetupError:  # e.g. a container whose /proc is partly masked
            has_proc = False
        _mount(None, self.root, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.chroot(self.root)
        return has_proc


# --- limits and privileges ---------------------------------------------------


def _limit(config: dict[str, Any], processes: bool) -> None:
    limits = config["limits"]
    pairs = [
        (resource.RLIMIT_CPU, limits["cpu_seconds"]),
        (resource.RLIMIT_AS, limits["memory_bytes"]),
        (resource.RLIMIT_FSIZE, limits["file_bytes"]),
        (resource.RLIMIT_NOFILE, limits["open_files"]),
        (resource.RLIMIT_CORE, 0),
    ]
    if processes:
        pairs.append((resource.RLIMIT_NPROC, limits["processes"]))
    for kind, value in pairs:
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):
            if LINUX:  # elsewhere (macOS) some limits cannot be set; the others still hold
                raise


def _nobody_can_run(config: dict[str, Any]) -> bool:
    """Whether user `nobody` could run this Python in place (every directory searchable)."""
    for path in [sys.executable, os.path.realpath(sys.executable), config["workdir"]]:
        parent = os.path.dirname(os.path.abspath(path))
        while parent != "/":
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return False
            parent = os.path.dirname(parent)
    return True


def _give_to_nobody(workdir: str) -> None:
    """The working directory and its files (no user code has run yet) belong to `nobody`."""
    for base, dirs, files in os.walk(workdir):
        for name in [base, *(os.path.join(base, f) for f in dirs + files)]:
            os.lchown(name, NOBODY, NOBODY)


def _become_nobody() -> None:
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)


def _die_with_parent() -> None:
    parent = os.getppid()
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(SETUP_FAILED)


def _exec_cell(config: dict[str, Any], status: int, report: dict[str, Any], guard: bool) -> None:
    os.chdir(config["workdir"])
    os.write(status, (json.dumps(report) + "\n").encode())
    os.close(status)
    argv = [sys.executable, "-I", "-c", config["cell"]]
    if guard:
        guard_config = {"workdir": config["workdir"], "readable": config["readable"]}
        argv += ["--guard", json.dumps(guard_config)]
    os.execv(sys.executable, argv)


# --- the two ways to run ---------------------------------------------------------


def run_isolated(config: dict[str, Any], status: int) -> int:
    """Namespaces; returns the cell's exit code, or raises SetupError before any code runs."""
    uid, gid = os.getuid(), os.getgid()
    to_inner_r, to_inner_w = os.pipe()
    from_inner_r, from_inner_w = os.pipe()
    inner = os.fork()
    if inner == 0:
        os.close(to_inner_w)
        os.close(from_inner_r)
        _inner(config, status, to_inner_r, from_inner_w)
    os.close(to_inner_r)
    os.close(from_inner_w)
    try:
        with os.fdopen(from_inner_r, "rb") as reports:
            line = reports.readline()
            if line.strip() == b"unshared":
                _write_maps(inner, uid, gid)
                os.write(to_inner_w, b"mapped\n")
                line = reports.readline()
        os.close(to_inner_w)
        _, wait_status = os.waitpid(inner, 0)
    except BaseException:
        os.kill(inner, signal.SIGKILL)
        raise
    if not line.startswith(b"ready"):
        reason = line.decode("utf-8", "replace").strip().removeprefix("failed ")
        raise SetupError(reason or "the isolated process ended during setup")
    return os.waitstatus_to_exitcode(wait_status)


def _write_maps(pid: int, uid: int, gid: int) -> None:
    if uid == 0:  # root maps itself (to build the view) and nobody (to run the code)
        uids, gids = f"0 0 1\n{NOBODY} {NOBODY} 1\n", f"0 0 1\n{NOBODY} {NOBODY} 1\n"
    else:
        with open(f"/proc/{pid}/setgroups", "w") as setgroups:
            setgroups.write("deny")
        uids, gids = f"{uid} {uid} 1\n", f"{gid} {gid} 1\n"
    for name, text in (("uid_map", uids), ("gid_map", gids)):
        with open(f"/proc/{pid}/{name}", "w") as id_map:
            id_map.write(text)


def _inner(config: dict[str, Any], status: int, commands: int, reports: int) -> None:
    """In the new user namespace; never returns."""
    code = SETUP_FAILED
    try:
        _die_with_parent()
        flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC
        _check(_libc.unshare(flags | CLONE_NEWUTS), "unshare")
        os.write(reports, b"unshared\n")
        with os.fdopen(commands, "rb") as answers:
            if answers.readline().strip() != b"mapped":
                raise SetupError("the outer process did not map the user ids")
        init = os.fork()
        if init == 0:
            _init(config, status, reports)
        os.close(reports)
        os.close(status)
        code = os.waitstatus_to_exitcode(os.waitpid(init, 0)[1])
    except BaseException as exc:
        message = str(exc) if isinstance(exc, (SetupError, OSError)) else repr(exc)
        os.write(reports, f"failed {message}\n".encode())
    os._exit(code if code >= 0 else 128 - code)


def _init(config: dict[str, Any], status: int, reports: int) -> None:
    """PID 1 of the new PID namespace: build the view, drop everything, exec; never returns."""
    try:
        _die_with_parent()
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
        view = View(config["root"])
        view.build(config)
        if os.getuid() == 0:
            _give_to_nobody(config["workdir"])
        has_proc = view.enter()
        _libc.sethostname(b"sandbox", 7)
        if os.getuid() == 0:
            _become_nobody()
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
        _limit(config, processes=True)
        os.write(reports, b"ready\n")
        os.close(reports)
        report = {"isolation": "namespaces", "proc": has_proc, "uid": os.getuid()}
        _exec_cell(config, status, report, guard=False)
    except BaseException as exc:
        message = str(exc) if isinstance(exc, (SetupError, OSError)) else repr(exc)
        with contextlib.suppress(OSError):  # once "ready" is sent, nobody reads reports
            os.write(reports, f"failed {message}\n".encode())
    os._exit(SETUP_FAILED)


def run_in_process(config: dict[str, Any], status: int, reason: str | None) -> None:
    """No namespaces: limits, no new privileges, `nobody` when root and possible; never returns."""
    dropped = os.getuid() == 0 and hasattr(os, "setresuid") and _nobody_can_run(config)
    if dropped:
        _give_to_nobody(config["workdir"])
        _become_nobody()
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    # RLIMIT_NPROC counts every process of the user outside a user namespace, so it is only
    # set for `nobody`; the guard refuses fork/exec instead.
    _limit(config, processes=dropped)
    report = {"isolation": "process", "reason": reason, "uid": os.getuid()}
    _exec_cell(config, status, report, guard=True)


def main() -> None:
    config = json.loads(sys.argv[1])
    os.umask(0o022)
    status = config["status_fd"]
    os.set_inheritable(status, False)
    reason = None
    if config["isolation"] != "process":
        try:
            code = run_isolated(config, status)
        except SetupError as exc:
            if config["isolation"] == "namespaces":
                os.write(status, (json.dumps({"error": str(exc)}) + "\n").encode())
                os._exit(SETUP_FAILED)
            reason = str(exc)
        else:
            os._exit(code)
    run_in_process(config, status, reason)


if __name__ == "__main__":
    main()
