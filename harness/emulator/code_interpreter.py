"""code_interpreter for real: run Python in a separate, limited process and return its logs.

The code runs in a fresh interpreter (`python -I`) in a temporary working
directory holding the run's code_interpreter files, with a wall-clock timeout,
memory/file-size/CPU limits, and socket connections disabled (best effort: a
determined program could still reach the raw `_socket` module). As in a
notebook cell, the value of a final expression is printed, so code that ends
with `fib` shows the list.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

_RUNNER = r"""
import ast, socket, sys, traceback
try:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))
    cpu = int(sys.argv[1]) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
except Exception:
    pass

def _no_network(*args, **kwargs):
    raise OSError("network access is disabled in the code interpreter sandbox")

socket.socket.connect = _no_network
socket.socket.connect_ex = _no_network
socket.socket.sendto = _no_network
socket.create_connection = _no_network
socket.getaddrinfo = _no_network

source = sys.stdin.read()
namespace = {"__name__": "__main__"}
try:
    tree = ast.parse(source, "<code>", "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, "<code>", "exec"), namespace)
    if last is not None:
        value = eval(compile(last, "<code>", "eval"), namespace)
        if value is not None:
            print(repr(value))
except SystemExit:
    pass
except BaseException:
    etype, evalue, tb = sys.exc_info()
    frames = [f for f in traceback.extract_tb(tb) if f.filename == "<code>"]
    print("Traceback (most recent call last):", file=sys.stderr)
    print("".join(traceback.format_list(frames)), end="", file=sys.stderr)
    print("".join(traceback.format_exception_only(etype, evalue)), end="", file=sys.stderr)
"""


@dataclass(frozen=True)
class Execution:
    logs: str
    timed_out: bool


def run_code(code: str, *, timeout: float, files: dict[str, bytes] | None = None) -> Execution:
    """Run `code` and return its combined stdout/stderr (blocking; call it off the event loop)."""
    with tempfile.TemporaryDirectory(prefix="emulator-ci-") as workdir:
        for name, content in (files or {}).items():
            (Path(workdir) / Path(name).name).write_bytes(content)
        env = {"PATH": os.environ.get("PATH", ""), "HOME": workdir, "PYTHONIOENCODING": "utf-8"}
        try:
            done = subprocess.run(
                [sys.executable, "-I", "-c", _RUNNER, str(int(timeout))],
                input=code.encode("utf-8"),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=workdir,
                env=env,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            partial = (exc.output or b"").decode("utf-8", errors="replace")
            return Execution(partial + f"Execution timed out after {timeout:g} seconds.", True)
    return Execution(done.stdout.decode("utf-8", errors="replace"), False)
