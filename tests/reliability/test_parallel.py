"""Parallel runs: xdist workers and concurrent processes never mix cassettes.

A generated suite of 100 marked tests records with `pytest -n 2` against the
echo server and replays with `-n 2`; each cassette holds its own test's
exchanges only. Two processes that record the same cassette are serialized
by its lock: their critical sections never overlap, and the file they leave
is one whole take.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cassette.format import loads
from tests.support.echo_server import echo_server

from .forking import Forker

TESTS = 40

SUITE = textwrap.dedent(
    f"""
    import openai
    import pytest


    @pytest.mark.assistants_cassette
    @pytest.mark.parametrize("number", range({TESTS}))
    def test_conversation(number):
        client = openai.OpenAI(max_retries=0)
        for turn in range(2):
            message = client.beta.threads.messages.create(
                f"thread_{{number}}", role="user", content=f"test {{number}} turn {{turn}}"
            )
            assert message.echo["body"].count(f"test {{number}} turn {{turn}}") == 1
        listing = client.beta.threads.messages.list(f"thread_{{number}}", order="asc")
        assert listing.model_extra["echo"]["path"].endswith(f"/threads/thread_{{number}}/messages")
    """
)


@pytest.mark.slow
def test_xdist_records_and_replays_a_large_suite_without_mixing_cassettes(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    echo: tuple[str, list[dict[str, object]]],
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-" + "paralleltest0123456789")
    pytester.makepyfile(test_suite=SUITE)

    recorded = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--record", "--record-backend=live"
    )
    recorded.assert_outcomes(passed=TESTS)
    # The summary gathers the workers' outcomes.
    recorded.stdout.fnmatch_lines([f"*{TESTS} new, 0 rewritten, 0 unchanged, 0 kept failed*"])
    # The echo server is gone for the replay: nothing may reach it.
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    seen = len(echo[1])
    replayed = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    replayed.assert_outcomes(passed=TESTS)
    assert len(echo[1]) == seen

    folder = pytester.path / "cassettes" / "test_suite"
    files = sorted(folder.iterdir())
    assert [p.name for p in files] == sorted(f"test_conversation[{n}].yaml" for n in range(TESTS))
    for number in range(TESTS):
        path = folder / f"test_conversation[{number}].yaml"
        cassette = loads(path.read_text(), str(path))
        assert cassette.meta["test"] == f"test_suite.py::test_conversation[{number}]"
        paths = {i.request.path for i in cassette.interactions}
        assert paths == {f"/threads/thread_{number}/messages"}
        contents = [i.request.body["content"] for i in cassette.interactions if i.request.body]
        assert contents == [f"test {number} turn {turn}" for turn in range(2)]
        assert len(cassette) == 3


LOCK_CHILD = textwrap.dedent(
    """
    import sys
    import time
    from pathlib import Path

    from harness.cassette.storage import locked

    path, go, hold = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    print("waiting", flush=True)
    while not go.exists():
        time.sleep(0.001)
    with locked(path):
        entered = time.time()
        time.sleep(hold)
        left = time.time()
    print(entered, left)
    """
)


def test_the_file_lock_serializes_processes_on_the_same_cassette(tmp_path: Path) -> None:
    script = tmp_path / "lock_child.py"
    script.write_text(LOCK_CHILD)
    path, go = tmp_path / "cassettes" / "same.yaml", tmp_path / "go"
    children = [
        subprocess.Popen(
            [sys.executable, str(script), str(path), str(go), "0.3"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline() == "waiting\n"  # for the go file
    go.touch()
    spans = sorted(
        tuple(map(float, child.communicate(timeout=60)[0].split())) for child in children
    )
    for (_, left), (entered, _) in itertools.pairwise(spans):
        assert entered >= left, f"critical sections overlap: {spans}"


# Run forked (tests/reliability/forking.py): `main` records a take of 30 messages into the
# cassette at `path`, then waits for the file `go` to appear and writes the take. The warm-up
# records a take elsewhere, so a forked process finds everything a recording uses imported.
SAME_CASSETTE_CHILD = textwrap.dedent(
    """
    import tempfile
    import time
    from pathlib import Path

    import openai

    from harness.cassette.session import Backend, CassetteSession
    from harness.config import Settings


    def main(path, base_url, take, go):
        session = CassetteSession.open(
            Path(path),
            Settings(record_mode="all", backend="live"),
            record_hint="pytest --record",
            backend_factory=lambda: Backend("live", base_url, "sk-sametest0123456789"),
        )
        with session.active():
            client = openai.OpenAI(max_retries=0)
            for number in range(30):
                client.beta.threads.messages.create(
                    "thread_1", role="user", content=f"take {take} message {number} " + "y" * 5000
                )
        while not Path(go).exists():
            time.sleep(0.001)
        session.finish(True)


    def warm_up(base_url):
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "go").touch()
            main(Path(folder) / "warm-up.yaml", base_url, "W", Path(folder) / "go")
    """
)


@pytest.fixture(scope="module")
def same_cassette_forker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forker]:
    with echo_server() as (base_url, _):  # for the warm-up
        forker = Forker(tmp_path_factory.mktemp("same-cassette"), SAME_CASSETTE_CHILD, base_url)
    with forker:
        yield forker


@pytest.mark.parametrize("attempt", range(2))
def test_two_processes_finishing_the_same_cassette_leave_one_whole_take(
    tmp_path: Path,
    echo: tuple[str, list[dict[str, object]]],
    same_cassette_forker: Forker,
    attempt: int,
) -> None:
    path, go = tmp_path / "cassettes" / "same.yaml", tmp_path / "go"
    children = [
        same_cassette_forker.fork(str(path), echo[0], take, str(go))[0] for take in ("A", "B")
    ]
    # Both have recorded their take once the echo server has seen 60 requests.
    deadline = time.monotonic() + 60
    while len(echo[1]) < 60 and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    assert [same_cassette_forker.reap(child) for child in children] == [(0, []), (0, [])]

    cassette = loads(path.read_text(), str(path))
    takes = {i.request.body["content"].split()[1] for i in cassette.interactions}
    assert takes in ({"A"}, {"B"}), takes
    assert len(cassette) == 30
    assert sorted(p.name for p in path.parent.iterdir()) == ["same.yaml"]
