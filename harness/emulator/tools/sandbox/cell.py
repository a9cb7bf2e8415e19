"""The code cell: run the code from stdin like a notebook cell; optionally under the guard.

Exec'd by `launch.py` as `python -I -c <this source> [--guard CONFIG]`; stdlib
only. As in a notebook, the value of a final expression is printed, and an
error prints a traceback of the cell's own frames only.

The guard is for machines without user namespaces: a CPython audit hook
(PEP 578) that refuses sockets, new processes, native code loading, signals
to other processes, and file access outside the working directory (writes)
or the Python and system library directories (reads). Audit hooks are not a
security boundary (PEP 578 says so), so this is a best-effort block against
ordinary code, not against a determined attacker.
"""

from __future__ import annotations

import ast
import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

_SYSTEM_LIBRARIES = ("/usr", "/lib", "/lib32", "/lib64", "/libx32")
_DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
_REFUSED = frozenset(
    {
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "subprocess.Popen",
        "pty.spawn",
        "ctypes.dlopen",
        "ctypes.dlsym",
        "sqlite3.enable_load_extension",
        "sqlite3.load_extension",
        "os.startfile",
        "webbrowser.open",
    }
)
# event -> positions of the path arguments it changes
_WRITES = {
    "os.remove": (0,),
    "os.rename": (0, 1),
    "os.mkdir": (0,),
    "os.rmdir": (0,),
    "os.symlink": (1,),
    "os.link": (0, 1),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.utime": (0,),
    "os.truncate": (0,),
    "os.chflags": (0,),
    "os.lchflags": (0,),
    "os.setxattr": (0,),
    "os.removexattr": (0,),
    "sqlite3.connect": (0,),
}
_READS = {"os.listdir": (0,), "os.scandir": (0,), "os.listxattr": (0,), "os.getxattr": (0,)}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class Guard:
    """The audit hook's rules (see the module docstring)."""

    def __init__(self, workdir: str, readable: list[str]) -> None:
        self.workdir = os.path.realpath(workdir)
        own = f"/proc/{os.getpid()}"
        libraries = [p for p in readable if p != "/etc"] + list(_SYSTEM_LIBRARIES)
        self.readable = (self.workdir, own, *_DEVICES, *map(os.path.realpath, libraries))
        self.writable = (self.workdir, "/dev/null")

    @staticmethod
    def _within(path: str, roots: tuple[str, ...]) -> bool:
        return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)

    def _check(self, event: str, path: Any, roots: tuple[str, ...]) -> None:
        if path is None or isinstance(path, int):  # an open descriptor was checked when opened
            return
        where = os.path.realpath(os.fsdecode(path))
        if not self._within(where, roots):
            access = "write" if roots is self.writable else "read"
            raise PermissionError(
                f"{event}: the code interpreter sandbox does not let code {access} {where}"
            )

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        if event in _REFUSED or event.startswith("socket."):
            raise PermissionError(f"{event} is not allowed in the code interpreter sandbox")
        if event == "open":
            path, mode, flags = args
            writing = any(c in (mode or "") for c in "wax+") or bool((flags or 0) & _WRITE_FLAGS)
            self._check(event, path, self.writable if writing else self.readable)
        elif event == "import":
            self._check_import(args)
        elif event in _WRITES:
            for i in _WRITES[event]:
                self._check(event, args[i] if i < len(args) else None, self.writable)
        elif event in _READS:
            self._check(event, args[0] if args else None, self.readable)
        elif event in ("os.kill", "os.killpg", "signal.pthread_kill") and args[0] not in (
            0,
            os.getpid(),
        ):
            raise PermissionError(f"{event}: the sandbox does not let code signal other processes")

    def _check_import(self, args: tuple[Any, ...]) -> None:
        name = args[0]
        # _posixsubprocess was imported (and disarmed) before the hook: a second import would
        # only come from someone removing it from sys.modules to get the original back.
        if name in ("ctypes", "_ctypes", "_posixsubprocess"):
            raise ImportError(f"{name} is not available in the code interpreter sandbox")
        filename = args[1] if len(args) > 1 else None
        if isinstance(filename, str) and not filename.endswith((".py", ".pyc")):
            self._check("import", filename, tuple(r for r in self.readable if r != self.workdir))


def install_guard(config: dict[str, Any]) -> None:
    import _posixsubprocess

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise PermissionError("new processes are not allowed in the code interpreter sandbox")

    _posixsubprocess.fork_exec = refuse
    sys.addaudithook(Guard(config["workdir"], config["readable"]))


def run_cell(source: str, show: Callable[[str], None]) -> None:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    try:
        tree = ast.parse(source, "<code>", "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body[-1].value)
            tree.body.pop()
        exec(compile(tree, "<code>", "exec"), namespace)
        if last is not None:
            value = eval(compile(last, "<code>", "eval"), namespace)
            if value is not None:
                show(repr(value))
    except SystemExit:
        pass
    except BaseException:
        etype, evalue, tb = sys.exc_info()
        frames = [f for f in traceback.extract_tb(tb) if f.filename == "<code>"]
        show("Traceback (most recent call last):")
        show("".join(traceback.format_list(frames)).rstrip("\n"))
        show("".join(traceback.format_exception_only(etype, evalue)).rstrip("\n"))


def main(argv: list[str]) -> None:
    source = sys.stdin.read()
    sys.stderr = sys.stdout  # one stream, in the order it was written
    if len(argv) > 2 and argv[1] == "--guard":
        install_guard(json.loads(argv[2]))
    run_cell(source, lambda text: print(text) if text else None)
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv)
