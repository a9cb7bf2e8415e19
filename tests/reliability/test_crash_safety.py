"""A killed or failing recording never damages the cassette it would replace.

The kill test records a large take from the echo server with a `CassetteSession` and
SIGKILLs the recording process at moments spread over the whole take, and as many spread
over the write. Afterwards the cassette is the previous one byte for byte, or the complete new
take, never anything else. The recording processes are forked from one that imported
everything once, so a trial costs the take, not an interpreter's start-up.
"""

from __future__ import annotations

import random
import textwrap
import time
from pathlib import Path

import pytest

from harness.cassette.format import loads
from harness.cassette.storage import failed_path, locked

from .conftest import files_under
from .forking import Forker

# Run forked (tests/reliability/forking.py): `main` records a take of `count` messages and
# writes it, printing "recorded" before the write and "written" after it. The warm-up records
# a take elsewhere, so a forked process finds everything a recording uses imported.
CHILD = textwrap.dedent(
    """
    import contextlib
    import io
    import tempfile
    from pathlib import Path

    import openai

    from harness.cassette.session import Backend, CassetteSession
    from harness.config import Settings


    KEY = "sk-crashtest0123456789"


    def main(path, base_url, count):
        session = CassetteSession.open(
            Path(path),
            Settings(record_mode="all", backend="live"),
            record_hint="pytest --record",
            backend_factory=lambda: Backend("live", base_url, KEY),
        )
        with session.active():
            client = openai.OpenAI(max_retries=0)
            for number in range(count):
                content = f"take {count} message {number} " + "x" * 20000
                client.beta.threads.messages.create("thread_1", role="user", content=content)
        print("recorded", flush=True)
        session.finish(True)
        print("written", flush=True)


    def warm_up(base_url):
        with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stdout(io.StringIO()):
            main(Path(folder) / "warm-up.yaml", base_url, 1)
    """
)
TRIALS = 12
NEW_TAKE = 20


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
    with Forker(tmp_path / "forker", CHILD, base_url) as recorder:
        # The previous cassette, and how long recording and writing a new take last.
        first, _ = recorder.fork(str(path), base_url, 3)
        assert recorder.reap(first) == (0, ["recorded", "written"])
        previous = path.read_bytes()
        assert _take(path) == 3
        timed, started = recorder.fork(str(path), base_url, NEW_TAKE)
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
            child, started = recorder.fork(str(path), base_url, NEW_TAKE)
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
