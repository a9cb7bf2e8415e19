"""A killed or failing recording never damages the cassette it would replace.

The kill test runs a recording process (a `CassetteSession` recording a
large take from the echo server and writing it) and SIGKILLs it at random
moments, many of them inside the write. Afterwards the cassette is the
previous one byte for byte, or the complete new take, never anything else.
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

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import openai

    from harness.cassette.session import Backend, CassetteSession
    from harness.config import Settings

    path, base_url, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    print("ready", flush=True)
    sys.stdin.readline()  # imports done: the kill clock starts at "go"
    session = CassetteSession.open(
        path,
        Settings(record_mode="all", backend="live"),
        record_hint="pytest --record",
        backend_factory=lambda: Backend("live", base_url, "sk-crashtest0123456789"),
    )
    with session.active():
        client = openai.OpenAI(max_retries=0)
        for number in range(count):
            client.beta.threads.messages.create(
                "thread_1", role="user", content=f"take {count} message {number} " + "x" * 20000
            )
    print("recorded", flush=True)
    session.finish(True)
    print("written", flush=True)
    """
)
TRIALS = 12
NEW_TAKE = 20


class _Child:
    """A recording process, started and imported, waiting for `go()`."""

    def __init__(self, tmp_path: Path, path: Path, base_url: str, count: int) -> None:
        script = tmp_path / "record_child.py"
        script.write_text(CHILD)
        self.process = subprocess.Popen(
            [sys.executable, str(script), str(path), base_url, str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONWARNINGS="ignore"),
        )
        assert self.process.stdout is not None and self.process.stdin is not None
        self.stdout, self.stdin = self.process.stdout, self.process.stdin

    def go(self) -> float:
        assert self.stdout.readline() == "ready\n"
        self.stdin.write("go\n")
        self.stdin.flush()
        return time.monotonic()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=60)
        self.stdin.close()
        self.stdout.close()


def _take(path: Path) -> int:
    """How many messages the cassette at `path` holds (it must parse whole)."""
    cassette = loads(path.read_text(encoding="utf-8"), str(path))
    counts = {int(i.request.body["content"].split()[1]) for i in cassette.interactions}
    assert len(counts) == 1, "interactions of two takes are mixed"
    (count,) = counts
    assert len(cassette) == count, "a take is cut short"
    return count


@pytest.mark.slow
def test_sigkill_at_random_moments_leaves_the_previous_cassette_byte_identical(
    tmp_path: Path, echo: tuple[str, list[dict[str, object]]]
) -> None:
    base_url, _ = echo
    path = tmp_path / "cassettes" / "crash.yaml"
    # The previous cassette, and how long recording and writing a new take last.
    first = _Child(tmp_path, path, base_url, 3)
    first.go()
    assert first.process.wait(timeout=60) == 0
    previous = path.read_bytes()
    assert _take(path) == 3
    timed = _Child(tmp_path, path, base_url, NEW_TAKE)
    started = timed.go()
    assert timed.stdout.readline() == "recorded\n"
    writing = time.monotonic() - started
    assert timed.stdout.readline() == "written\n"
    finished = time.monotonic() - started
    assert timed.process.wait(timeout=60) == 0
    timed.kill()
    rng = random.Random()
    outcomes = {"previous": 0, "new": 0, "temporaries left": 0}
    child = _Child(tmp_path, path, base_url, NEW_TAKE)
    for trial in range(TRIALS):
        path.write_bytes(previous)
        # Half the kills land anywhere, half around the write itself.
        if trial % 2:
            delay = rng.uniform(max(0.0, writing - 0.02), finished + 0.02)
        else:
            delay = rng.uniform(0.0, finished)
        started = child.go()
        following = _Child(tmp_path, path, base_url, NEW_TAKE)  # imports meanwhile
        time.sleep(max(0.0, started + delay - time.monotonic()))
        child.kill()
        child = following
        data = path.read_bytes()
        if data == previous:
            outcomes["previous"] += 1
        else:
            assert _take(path) == NEW_TAKE, f"trial {trial}: the cassette is damaged"
            outcomes["new"] += 1
        names = {p.name for p in path.parent.iterdir()} - {"crash.yaml"}
        assert names <= {n for n in names if n.startswith(".crash.yaml.")}
        outcomes["temporaries left"] = len(names)
    child.kill()
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
