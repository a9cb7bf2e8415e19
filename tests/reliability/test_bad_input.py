"""Corrupt cassettes and scenario files give one clear line, never a traceback.

Each broken file is met where a user meets it: a marked test replaying it
(through `pytester`), the `harness transcript`/`harness inspect` commands,
and scenario collection. A foreign format, a vcrpy / pytest-recording
cassette, is not an error: it is migrated on load.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness import cli
from harness.cassette.format import dumps, loads
from harness.cassette.model import Cassette, Interaction, Request, Response
from harness.errors import CassetteFormatError

VALID = dumps(
    Cassette(
        meta={"base_path": "/v1"},
        interactions=[
            Interaction(
                Request("POST", "/threads", body={"metadata": {}}),
                Response(200, {"content-type": "application/json"}, body={"id": "thread_1"}),
            )
        ],
    )
)

VCRPY_KEY = "sk-" + "vcrpyPLANTED0123456789"  # split: no key-shaped literal in the repo


def _swap(old: str, new: str) -> bytes:
    assert old in VALID
    return VALID.replace(old, new).encode()


def _alias_bomb(levels: int = 9) -> bytes:
    """A few hundred bytes of nested YAML aliases that expand to 9**levels values."""
    lines = ["format: 1", "meta: {}", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, levels + 1):
        lines.append(f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]")
    lines.append(f"interactions: [*a{levels}]")
    text = "\n".join(lines) + "\n"
    assert len(text) < 600
    return text.encode()


# name -> (file bytes, what the one line must say)
BROKEN: dict[str, tuple[bytes, str]] = {
    "truncated YAML": (VALID[: len(VALID) // 2].encode(), "not valid YAML"),
    "newer format": (_swap("format: 1", "format: 7"), "cassette format 7 is newer than this"),
    "older format": (_swap("format: 1", "format: 0"), "cassette format 0 predates format 1"),
    "format not a number": (_swap("format: 1", 'format: "one"'), "field 'format' must be an"),
    "no format": (_swap("format: 1\n", ""), "missing field 'format'"),
    "missing path": (_swap('"path": "/threads",\n', ""), "request: missing field 'path'"),
    "missing response": (
        VALID[: VALID.index("  response:")].encode(),
        "interaction 1: missing or invalid field 'response'",
    ),
    "invalid JSON body": (_swap('"id": "thread_1"', '"id": "thread_1",,'), "not valid YAML"),
    "status not a number": (_swap('"status": 200', '"status": "OK"'), "'status' must be int"),
    "header not a string": (
        _swap('"content-type": "application/json"', '"content-type": 5'),
        "'headers' must be a mapping of names to strings",
    ),
    "repeat zero": (VALID.encode() + b"  repeat: 0\n", "'repeat' must be a positive integer"),
    "binary junk": (bytes(range(256)) * 4, "not a text cassette"),
    "control characters": (b"format: 1\x00\x01\x02", "not a text cassette"),
    "empty file": (b"", "empty file, not a cassette"),
    "a list at the top": (b"- 1\n- 2\n", "not a cassette (expected a mapping at the top)"),
    "broken vcrpy cassette": (
        b"version: 1\ninteractions:\n- request: {method: GET}\n",
        "vcrpy interaction 1: missing or invalid field 'request.uri'",
    ),
    "future vcrpy cassette": (
        b"version: 2\ninteractions: []\n",
        "vcrpy cassette version 2 is not supported",
    ),
    "YAML alias bomb": (_alias_bomb(), "line 3: YAML anchors and aliases are not allowed"),
    "base path not text": (
        _swap('"base_path": "/v1"', '"base_path": 5'),
        "field 'meta.base_path' must be a string, got 5",
    ),
    "format true": (_swap("format: 1", "format: true"), "field 'format' must be an integer"),
    "interactions twice (a hand merge)": (
        VALID.encode() + b"\n" + VALID[VALID.index("interactions:") :].encode(),
        "key 'interactions' given twice (first on line",
    ),
}

# Replay reads a recorded response when it serves it: these are met by the test that sends
# the request, as its failure; the rest of BROKEN by any test of the file, at setup.
WHEN_SERVED = (
    "invalid JSON body",
    "status not a number",
    "header not a string",
    "interactions twice (a hand merge)",
)

TEST_FILE = textwrap.dedent(
    f"""
    import pytest

    @pytest.mark.parametrize("case", range({len(BROKEN)}))
    @pytest.mark.assistants_cassette
    def test_it(case, openai_client):
        openai_client.beta.threads.create(metadata={{}})
    """
)


def test_a_corrupt_cassette_fails_its_test_with_one_line(pytester: pytest.Pytester) -> None:
    # One run replays every bad file, each the cassette of its own test (a run per file cost
    # a pytest session each): each test fails or errors with one line naming its file.
    pytester.makepyfile(test_bad=TEST_FILE)
    paths = [
        pytester.path / "cassettes" / "test_bad" / f"test_it[{n}].yaml" for n in range(len(BROKEN))
    ]
    paths[0].parent.mkdir(parents=True)
    for path, (content, _) in zip(paths, BROKEN.values(), strict=True):
        path.write_bytes(content)

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(failed=len(WHEN_SERVED), errors=len(BROKEN) - len(WHEN_SERVED))
    for n, (case, (content, message)) in enumerate(BROKEN.items()):
        title = f"_ test_it[{n}] _" if case in WHEN_SERVED else f"ERROR at setup of test_it[{n}] "
        section = _section(result.stdout.lines, title)
        assert len(section) == 1, (case, section)
        assert section[0].startswith(f"{paths[n]}:") and message in section[0], (case, section[0])
        assert paths[n].read_bytes() == content, case  # replay never touches the file
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def _section(output: list[str], title: str) -> list[str]:
    """The non-blank lines of the report section whose header holds `title` (up to the next
    section, or a subsection such as the failure's trace page note)."""
    start = next(i for i, line in enumerate(output) if title in line) + 1
    ends = ("===", "---", "___")
    end = next(i for i, line in enumerate(output[start:], start) if line.startswith(ends))
    return [line for line in output[start:end] if line.strip()]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`harness ARGS` as a user runs it, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PYTHONWARNINGS="ignore"),
    )


def _cli_here(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """`harness ARGS` run by its `main` in this process (what the process adds around it is
    the same for every bad file, and `_cli` checks it once): its code and what it printed."""
    capsys.readouterr()
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(["harness", *args], code, out, err)


@pytest.mark.parametrize("command", ["transcript", "inspect"])
@pytest.mark.parametrize(
    "case",
    ["truncated YAML", "newer format", "binary junk", "empty file", "YAML alias bomb"],
)
def test_cli_prints_one_line_for_a_corrupt_cassette(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, case: str
) -> None:
    if importlib.util.find_spec(f"harness.{command}") is None:
        pytest.skip(f"harness.{command} is not written yet")
    content, message = BROKEN[case]
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    done = _cli_here(capsys, command, str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert str(path) in lines[0] and message in lines[0]


@pytest.mark.parametrize("case", ["YAML alias bomb", "base path not text", "format true"])
def test_scrub_refuses_a_bad_cassette_in_one_line_and_leaves_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    content, message = BROKEN[case]
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    done = _cli_here(capsys, "scrub", str(path))
    assert done.returncode == 2
    lines = (done.stdout + done.stderr).splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and message in lines[0], lines
    assert path.read_bytes() == content


def test_cli_names_a_missing_cassette_in_one_line(tmp_path: Path) -> None:
    done = _cli("transcript", str(tmp_path / "gone.yaml"))
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1
    assert "gone.yaml" in done.stderr and "Traceback" not in done.stderr


# --- scenario files -----------------------------------------------------------------

GOOD_SCENARIO = textwrap.dedent(
    """
    name: tiny
    assistant: {name: Tutor, instructions: Be brief., model: gpt-4o}
    steps:
      - create_thread: {as: thread}
      - message: {thread: thread, content: "Hi"}
      - run: {thread: thread, as: run}
    expect:
      runs: {run: completed}
    """
)

BAD_SCENARIOS: dict[str, tuple[bytes, str]] = {
    "truncated YAML": (b"name: tiny\nsteps: [\n  - create_thread: {as: thread", "not valid YAML"),
    "binary junk": (bytes(range(256)), "not valid YAML"),
    "empty file": (b"", ""),
    "missing steps": (GOOD_SCENARIO.replace("steps:", "stepz:").encode(), ""),
    "two actions in a step": (
        GOOD_SCENARIO.replace(
            "- create_thread: {as: thread}",
            "- {create_thread: {as: thread}, run: {thread: thread}}",
        ).encode(),
        "",
    ),
    "YAML alias bomb": (_alias_bomb(), "line 3: YAML anchors and aliases are not allowed"),
    "tool $ref to a missing file": (
        GOOD_SCENARIO.replace(
            "model: gpt-4o}",
            "model: gpt-4o, tools: [{type: function, function: {$ref: nowhere.json}}]}",
        ).encode(),
        "cannot load",
    ),
}


@pytest.mark.skipif(
    importlib.util.find_spec("harness.scenarios") is None, reason="harness/scenarios.py not written"
)
def test_a_bad_scenario_file_is_one_collection_error_line(pytester: pytest.Pytester) -> None:
    # One run collects every bad file (a run per file cost a pytest session each): each is
    # its own collection error of one line.
    paths = {
        case: pytester.path / "scenarios" / f"broken_{n}.yaml"
        for n, case in enumerate(BAD_SCENARIOS)
    }
    (pytester.path / "scenarios").mkdir()
    for case, (content, _) in BAD_SCENARIOS.items():
        paths[case].write_bytes(content)
    pytester.makeini("[pytest]\nassistants_scenario_dirs = scenarios\n")

    result = pytester.runpytest("-p", "no:cacheprovider", "scenarios")

    result.assert_outcomes(errors=len(BAD_SCENARIOS))
    for case, (_, message) in BAD_SCENARIOS.items():
        section = _section(result.stdout.lines, f"ERROR collecting scenarios/{paths[case].name}")
        assert len(section) == 1, (case, section)
        assert section[0].startswith(f"{paths[case]}:"), (case, section[0])
        assert message in section[0], (case, section[0])
    assert "Traceback" not in result.stdout.str()


# --- foreign cassettes: vcrpy / pytest-recording -----------------------------------


def _vcrpy_cassette(tmp_path: Path, base_url: str, encoding: str | None = None) -> Path:
    """Record a real vcrpy cassette of Assistants traffic with vcrpy itself (the server's
    answers compressed with `encoding`, as a live API's are)."""
    import openai
    import vcr

    path = tmp_path / "vcrpy.yaml"
    with vcr.use_cassette(str(path), record_mode="all"):
        headers = {"x-echo-encoding": encoding} if encoding else None
        client = openai.OpenAI(
            base_url=base_url, api_key=VCRPY_KEY, max_retries=0, default_headers=headers
        )
        client.beta.threads.messages.create("thread_1", role="user", content="Hi there")
        events = [
            e.event
            for e in client.beta.threads.runs.create(
                thread_id="thread_1", assistant_id="asst_1", stream=True
            )
        ]
        assert events[-1] == "thread.run.completed"
        client.beta.threads.messages.list("thread_1", order="asc")
    return path


@pytest.mark.parametrize("encoding", [None, "gzip", "deflate"])
def test_a_vcrpy_cassette_is_migrated_on_load(
    tmp_path: Path, echo: tuple[str, list[dict[str, object]]], encoding: str | None
) -> None:
    path = _vcrpy_cassette(tmp_path, echo[0], encoding)
    text = path.read_text()
    assert VCRPY_KEY in text  # vcrpy keeps the Authorization header
    assert ("!!binary" in text) == (encoding is not None)  # vcrpy keeps the compressed bytes

    cassette = loads(text, str(path))

    assert cassette.meta["migrated_from"] == "vcrpy" and cassette.meta["base_path"] == "/v1"
    requests = [(i.request.method, i.request.path) for i in cassette.interactions]
    assert requests == [
        ("POST", "/threads/thread_1/messages"),
        ("POST", "/threads/thread_1/runs"),
        ("GET", "/threads/thread_1/messages"),
    ]
    first, stream, listing = cassette.interactions
    assert first.request.body == {"role": "user", "content": "Hi there"}
    assert first.response.body["object"] == "echo"
    assert stream.response.events is not None
    assert [e["event"] for e in stream.response.events] == [
        "thread.run.created",
        "thread.run.completed",
        "done",
    ]
    assert stream.response.events[0]["data"]["id"] == "run_echo"
    assert listing.request.query == (("order", "asc"),)
    assert "authorization" not in first.request.headers
    assert VCRPY_KEY not in dumps(cassette)


def test_a_pytest_recording_cassette_replays_under_the_harness(
    pytester: pytest.Pytester, tmp_path: Path, echo: tuple[str, list[dict[str, object]]]
) -> None:
    """A user brings a cassette recorded with pytest-recording; the marked test replays it."""
    source = _vcrpy_cassette(tmp_path, echo[0])
    target = pytester.path / "cassettes" / "test_app" / "test_talk.yaml"
    target.parent.mkdir(parents=True)
    target.write_bytes(source.read_bytes())
    pytester.makepyfile(
        test_app="""
        import openai
        import pytest

        @pytest.mark.assistants_cassette
        def test_talk():
            client = openai.OpenAI(max_retries=0)
            message = client.beta.threads.messages.create(
                "thread_1", role="user", content="Hi there"
            )
            assert message.id == "obj_echo"
            events = [e.event for e in client.beta.threads.runs.create(
                thread_id="thread_1", assistant_id="asst_1", stream=True
            )]
            assert events == ["thread.run.created", "thread.run.completed"]
            client.beta.threads.messages.list("thread_1", order="asc")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert target.read_bytes() == source.read_bytes()


def test_migration_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(CassetteFormatError, match=r"^x\.yaml: vcrpy interaction 2: missing"):
        loads(
            "version: 1\ninteractions:\n"
            "- request: {method: GET, uri: 'http://h/v1/threads/t'}\n"
            "  response: {status: {code: 200}, body: {string: '{}'}}\n"
            "- request: {method: GET, uri: 'http://h/v1/threads/t'}\n",
            "x.yaml",
        )
