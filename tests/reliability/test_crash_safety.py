"""A killed or failing recording never damages the cassette it would replace.

The kill test records a large take from the echo server with a `CassetteSession` and
SIGKILLs the recording process at moments spread over the whole take, and as many spread
over the write. Afterwards the cassette is the previous one byte for byte, or the complete new
take, never anything else. The recording processes are forked from one that imported
everything once, so a trial costs the take, not an interpreter's start-up.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness.cassette.format import loads
from harness.cassette.storage import failed_path, locked

from .conftest import files_under

# Reads commands on stdin: `go COUNT` forks a process that records a take of COUNT messages
# and writes it, printing "recorded" before the write and "written" after it; `reap PID`
# waits for that process and prints its exit status. Before it is ready it records a take
# elsewhere, so the forked processes find everything a recording uses imported.
FORKER = textwrap.dedent(
    """
    import os
    import sys
    from pathlib import Path

    import openai

    from harness.cassette.session import Backend, CassetteSession
    from harness.config import Settings

    base_url = sys.argv[2]


    def record(path, count):
        session = CassetteSession.open(
            path,
            Settings(record_mode="all", backend="live"),
            record_hint="pytest --record",
            backend_factory=lambda: Backend("live", base_url, "sk-crashtest0123456789"),
        )
        with session.active():
            client = openai.OpenAI(max_retries=0)
            for number in range(count):
                content = f"take {count} message {number} " + "x" * 20000
                client.beta.threads.messages.create("thread_1", role="user", content=content)
        print("recorded", flush=True)
        session.finish(True)
        print("written", flush=True)


    record(Path(sys.argv[3]), 1)
    print("ready", flush=True)
    for line in sys.stdin:
        command, argument = line.split()
        if command == "reap":
            print("reaped", os.waitstatus_to_exitcode(os.waitpid(int(argument), 0)[1]), flush=True)
            continue
        started, start = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(start)
            os.read(started, 1)  # the test knows this process's id before it records
            record(Path(sys.argv[1]), int(argument))
            os._exit(0)
        os.close(started)
        print("pid", pid, flush=True)
        os.write(start, b"go")
        os.close(start)
    """
)
TRIALS = 12
NEW_TAKE = 20


class _Recorder:
    """The process that forks a recording process per take, imported and ready."""

    def __init__(self, tmp_path: Path, path: Path, base_url: str) -> None:
        script = tmp_path / "forker.py"
        script.write_text(FORKER)
        warm_up = tmp_path / "warm-up" / "warm-up.yaml"
        self.process = subprocess.Popen(
            [sys.executable, str(script), str(path), base_url, str(warm_up)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONWARNINGS="ignore"),
        )
        assert self.process.stdout is not None and self.process.stdin is not None
        self.stdout, self.stdin = self.process.stdout, self.process.stdin
        assert [self.line(), self.line(), self.line()] == ["recorded", "written", "ready"]

    def line(self) -> str:
        return self.stdout.readline().strip()

    def start(self, count: int) -> tuple[int, float]:
        """Fork a process recording a take of `count` messages: its id, and when it began."""
        self.stdin.write(f"go {count}\n")
        self.stdin.flush()
        word, pid = self.line().split()
        assert word == "pid"
        return int(pid), time.monotonic()

    def reap(self, pid: int) -> tuple[int, list[str]]:
        """Wait for the process `pid`: its exit code, and the lines it printed not yet read."""
        self.stdin.write(f"reap {pid}\n")
        self.stdin.flush()
        printed = []
        while not (line := self.line()).startswith("reaped "):
            printed.append(line)
        return int(line.split()[1]), printed

    def kill(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)  # a process that has already ended waits to be reaped
        self.reap(pid)

    def close(self) -> None:
        self.stdin.close()
        assert self.process.wait(timeout=60) == 0
        self.stdout.close()


def _take(path: Path) -> int:
    """How many messages the cassette at `path` holds (it must parse whole)."""
    cassette = loads(path.read_text(encoding="utf-8"), str(path))
    counts = {int(i.request.body["content"].split()[1]) for i in cassette.interactions}
    assert len(counts) == 1, "interactions of two takes are mixed"
    (count,) = counts
    assert len(cassette) == count, "a take is cut short"
    return count


def _strata(low: float, high: float, count: int, rng: random.Random) -> list[float]:
    """`count` moments between `low` and `high`, one drawn in each of `count` equal strata,
    so every run covers the whole span (random moments would need many more trials to)."""
    return [low + (stratum + rng.random()) * (high - low) / count for stratum in range(count)]


@pytest.mark.slow
def test_sigkill_at_random_moments_leaves_the_previous_cassette_byte_identical(
    tmp_path: Path, echo: tuple[str, list[dict[str, object]]]
) -> None:
    base_url, _ = echo
    path = tmp_path / "cassettes" / "crash.yaml"
    recorder = _Recorder(tmp_path, path, base_url)
    # The previous cassette, and how long recording and writing a new take last.
    first, _ = recorder.start(3)
    assert recorder.reap(first) == (0, ["recorded", "written"])
    previous = path.read_bytes()
    assert _take(path) == 3
    timed, started = recorder.start(NEW_TAKE)
    assert recorder.line() == "recorded"
    recorded = time.monotonic()
    assert recorder.line() == "written"
    finished, writing = time.monotonic() - started, time.monotonic() - recorded
    assert recorder.reap(timed) == (0, [])
    # Half the kills land anywhere in the take (counted from its start), half inside the
    # write (counted from "recorded", when the write begins) or just after it.
    rng = random.Random()
    half = TRIALS // 2
    moments = [("start", d) for d in _strata(0.0, finished, half, rng)]
    moments += [("recorded", d) for d in _strata(0.0, writing + 0.02, half, rng)]
    outcomes = {"previous": 0, "new": 0, "temporaries left": 0}
    for trial, (since, delay) in enumerate(moments):
        path.write_bytes(previous)
        child, started = recorder.start(NEW_TAKE)
        if since == "recorded":
            assert recorder.line() == "recorded"
            started = time.monotonic()
        time.sleep(max(0.0, started + delay - time.monotonic()))
        recorder.kill(child)
        data = path.read_bytes()
        if data == previous:
            outcomes["previous"] += 1
        else:
            assert _take(path) == NEW_TAKE, f"trial {trial}: the cassette is damaged"
            outcomes["new"] += 1
        names = {p.name for p in path.parent.iterdir()} - {"crash.yaml"}
        assert names <= {n for n in names if n.startswith(".crash.yaml.")}
        outcomes["temporaries left"] = len(names)
    recorder.close()
    print(f"{TRIALS} SIGKILL trials: {outcomes}")
    assert outcomes["previous"] > 0, outcomes
    # Temporary files a kill left behind go with the next write under the lock.
    with locked(path):
        pass
    assert sorted(p.name for p in path.parent.iterdir()) == ["crash.yaml"]


FAILING_TEST = textwrap.dedent(
    """
    import os

    import openai
    import pytest


    @pytest.mark.assistants_cassette
    def test_conversation():
        client = openai.OpenAI(max_retries=0)
        client.beta.threads.messages.create("thread_1", role="user", content="hello")
        if os.environ.get("BREAK_THE_APP"):
            raise AssertionError("the app broke")
    """
)


def test_failing_test_under_record_keeps_the_old_cassette_and_writes_failed_yaml(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    echo: tuple[str, list[dict[str, object]]],
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-failtest0123456789")
    pytester.makepyfile(test_app=FAILING_TEST)
    args = ("-p", "no:cacheprovider", "--record", "--record-backend=live")
    pytester.runpytest(*args).assert_outcomes(passed=1)
    path = pytester.path / "cassettes" / "test_app" / "test_conversation.yaml"
    old = path.read_bytes()

    monkeypatch.setenv("BREAK_THE_APP", "1")
    result = pytester.runpytest(*args)

    result.assert_outcomes(failed=1)
    assert path.read_bytes() == old
    failed = failed_path(path)
    result.stdout.fnmatch_lines([f"kept failed recording: {failed}"])
    assert len(loads(failed.read_text())) == 1
    assert sorted(p.name for p in path.parent.iterdir()) == [
        ".gitignore",  # which ignores the two below
        "test_conversation.failed.html",  # the failed take's trace page
        "test_conversation.failed.yaml",
        "test_conversation.yaml",
    ]
    # A passing recording replaces the cassette and clears the failed take.
    monkeypatch.delenv("BREAK_THE_APP")
    pytester.runpytest(*args).assert_outcomes(passed=1)
    assert not failed.exists()
    # the failed take's page went with it; the folder's .gitignore stays
    assert list(files_under(path.parent)) == [path.parent / ".gitignore", path]
