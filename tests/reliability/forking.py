"""Processes forked from one that has imported everything once.

A test that needs many short-lived processes (to kill them, or to race them on a lock) pays
an interpreter's start-up for each (1-3 s here with openai and the harness imported); forked
from a `Forker`, each costs only its own work and is still a process of its own. The child
script defines `main(*args)` (run in each forked process, which ends with code 0, or 1 after
printing the exception) and may define `warm_up(*args)` (run once, with the `Forker`'s arguments, before the first fork, so the
children find what they use imported and initialised).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import TracebackType

# Reads commands on stdin: `fork ARGS` (a JSON list) forks a process that runs
# `main(*ARGS)` and prints `pid N` first; `reap N` waits for it and prints `reaped CODE`.
_FORKER = textwrap.dedent(
    """
    import json
    import os
    import runpy
    import sys
    import traceback

    child = runpy.run_path(sys.argv[1])
    if "warm_up" in child:
        child["warm_up"](*json.loads(sys.argv[2]))
    print("ready", flush=True)
    for line in sys.stdin:
        command, _, argument = line.partition(" ")
        if command == "reap":
            status = os.waitpid(int(argument), 0)[1]
            print("reaped", os.waitstatus_to_exitcode(status), flush=True)
            continue
        started, start = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(start)
            os.read(started, 1)  # the test knows this process's id before it runs
            code = 0
            try:
                child["main"](*json.loads(argument))
            except BaseException:
                traceback.print_exc()
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        os.close(started)
        print("pid", pid, flush=True)
        os.write(start, b"go")
        os.close(start)
    os._exit(0)  # nothing to tidy: an interpreter's shutdown costs more than the fork
    """
)


class Forker:
    """A process that ran `source` (the child script) and `warm_up(*warm_up)`, and forks a
    process per `fork`.

    What the forked processes print arrives on `line()`, in order with the replies."""

    def __init__(self, folder: Path, source: str, *warm_up: object) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "child.py").write_text(source)
        (folder / "forker.py").write_text(_FORKER)
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(folder / "forker.py"),
                str(folder / "child.py"),
                json.dumps(warm_up),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONWARNINGS="ignore"),
        )
        assert self.process.stdout is not None and self.process.stdin is not None
        self.stdout, self.stdin = self.process.stdout, self.process.stdin
        self.running: set[int] = set()  # forked and not reaped yet
        assert self.line() == "ready"

    def __enter__(self) -> Forker:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for pid in self.running:  # a failed test leaves no process behind (one may wait forever)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if kind is None:
            self.close()
        else:
            self.process.kill()
            self.process.wait(timeout=60)

    def line(self) -> str:
        return self.stdout.readline().strip()

    def _send(self, command: str) -> None:
        self.stdin.write(command + "\n")
        self.stdin.flush()

    def fork(self, *args: object) -> tuple[int, float]:
        """Start a process running `main(*args)`: its id, and when it began."""
        self._send("fork " + json.dumps(args))
        word, pid = self.line().split()
        assert word == "pid", word
        self.running.add(int(pid))
        return int(pid), time.monotonic()

    def reap(self, pid: int) -> tuple[int, list[str]]:
        """Wait for the process `pid` to end: its exit code, and the lines it printed that
        were not read yet."""
        self._send(f"reap {pid}")
        self.running.discard(pid)
        printed = []
        while not (line := self.line()).startswith("reaped "):
            printed.append(line)
        return int(line.split()[1]), printed

    def kill(self, pid: int) -> None:
        """SIGKILL the process `pid` (one that has already ended waits to be reaped)."""
        os.kill(pid, signal.SIGKILL)
        self.reap(pid)

    def close(self) -> None:
        self.stdin.close()
        assert self.process.wait(timeout=60) == 0
        self.stdout.close()
