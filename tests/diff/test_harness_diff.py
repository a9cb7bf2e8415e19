"""`harness diff OLD NEW`: re-recordings compared as conversations, the way a reviewer of a
pull request that touches `cassettes/` reads them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.cli import main

APP = """
import pytest

QUIZ = {{"name": "quiz", "parameters": {{"type": "object", "properties": {{"n": {{"type": "integer"}}}}}}}}
QUIZ_BRAIN = [{{"match": {{"message": "quiz"}}, "actions": [
    {{"call": {{"name": "quiz", "arguments": {{"n": {n}}}}}}}, {{"say": "Thanks"}}]}}]
STATUS_BRAIN = [{{"match": {{"message": "hello"}}, "actions": [{ending}]}}]


@pytest.mark.assistants_cassette(brain=QUIZ_BRAIN)
def test_arguments(openai_client):
    assistant = openai_client.beta.assistants.create(
        model="gpt-4o", tools=[{{"type": "function", "function": QUIZ}}]
    )
    thread = openai_client.beta.threads.create(messages=[{{"role": "user", "content": "a quiz"}}])
    run = openai_client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    openai_client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id, thread_id=thread.id, tool_outputs=[{{"tool_call_id": call.id, "output": "ok"}}]
    )


@pytest.mark.assistants_cassette
def test_messages(openai_client):
    assistant = openai_client.beta.assistants.create(model="gpt-4o")
    thread = openai_client.beta.threads.create()
    openai_client.beta.threads.messages.create(thread.id, role="user", content="hello")
    if {extra}:
        openai_client.beta.threads.messages.create(thread.id, role="user", content="and goodbye")
    openai_client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    openai_client.beta.threads.messages.list(thread.id)


@pytest.mark.assistants_cassette(brain=STATUS_BRAIN)
def test_status(openai_client):
    assistant = openai_client.beta.assistants.create(model="gpt-4o")
    thread = openai_client.beta.threads.create(messages=[{{"role": "user", "content": "hello"}}])
    openai_client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
"""
SAY = '{"say": "Hi there"}'
FAIL = '{"fail": {"code": "server_error", "message": "Sorry, something went wrong."}}'
ID = re.compile(r"\b(asst_|thread_|msg_|run_|step_|call_|file-|vs_)([A-Za-z0-9]{20,})")
STAMP = re.compile(r'("[a-z_]*_at": )(\d{10})')


def _record(pytester: pytest.Pytester, n: int = 2, extra: bool = False, ending: str = SAY) -> Path:
    pytester.makepyfile(test_app=APP.format(n=n, extra=extra, ending=ending))
    pytester.runpytest("-p", "no:cacheprovider", "--record").assert_outcomes(passed=3)
    return pytester.path / "cassettes"


def _diff(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()  # what an inner pytest run printed
    code = main(["diff", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _respelled(text: str) -> str:
    """The same conversation as another recording would spell it: other ids, later times."""
    text = ID.sub(lambda m: m[1] + "Z" + m[2][::-1][1:], text)
    return STAMP.sub(lambda m: f"{m[1]}{int(m[2]) + 86_400 + 17}", text)


def test_an_identical_re_recording_is_equivalent(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _record(pytester)
    new = pytester.path / "respelled"
    for path in old.rglob("*.yaml"):
        target = new / path.relative_to(old)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = _respelled(path.read_text())
        assert text != path.read_text()
        target.write_text(text.replace("\n  repeat: 2\n", "\n  repeat: 5\n"))  # polls: timing
    code, out, err = _diff(capsys, str(old), str(new))
    assert (code, err) == (0, "")
    assert out.strip().endswith("3 cassettes: equivalent conversations")


def test_changed_arguments_an_added_message_and_another_status_path_are_named(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(_record(pytester), pytester.path / "old")
    _record(pytester, n=3, extra=True, ending=FAIL)
    code, out, _ = _diff(capsys, "old", "cassettes")
    assert code == 1
    assert "3 of 3 cassettes differ" in out.splitlines()[0]
    lines = [line.strip() for line in out.splitlines()]
    assert "~ run_1 call_1 (quiz) arguments" in lines
    assert "~ /n: 2 -> 3" in lines
    assert "+ msg_2 (user on thread_1): and goodbye" in lines
    assert (
        "~ run_1 status path: queued > in_progress > completed -> queued > in_progress > failed"
        in lines
    )
    assert any(line.startswith("~ run_1 last_error") for line in lines)

    code, out, _ = _diff(capsys, "old", "cassettes", "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["equivalent"] is False
    files = {f["name"]: f for f in report["files"]}
    (arguments,) = [
        c for c in files["test_app/test_arguments.yaml"]["changes"] if c["section"] == "tool_calls"
    ]
    assert arguments["edits"] == [{"op": "replace", "path": "/n", "old": 2, "new": 3}]
    added, answer = [
        c for c in files["test_app/test_messages.yaml"]["changes"] if c["section"] == "messages"
    ]
    assert (added["kind"], added["new"]["text"]) == ("added", "and goodbye")
    assert answer["kind"] == "changed" and answer["edits"] == [
        {
            "op": "replace",
            "path": "/text",
            "old": 'You said: "hello"',
            "new": 'You said: "and goodbye"',
        }
    ]
    (path,) = [
        c
        for c in files["test_app/test_status.yaml"]["changes"]
        if c["subject"].endswith("status path")
    ]
    assert path["new"] == ["queued", "in_progress", "failed"]

    code, out, _ = _diff(capsys, "old", "cassettes", "--format", "markdown")
    assert code == 1
    assert out.startswith("### `harness diff`: 3 of 3 cassettes differ")
    assert "| `test_app/test_arguments.yaml` | 1 tool calls" in out
    assert "  ```diff\n  - /n: 2\n  + /n: 3\n  ```" in out
    assert "<details><summary>Other differences" in out


def test_a_cassette_on_one_side_only_is_reported(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    cassettes = _record(pytester)
    shutil.copytree(cassettes, pytester.path / "old")
    (cassettes / "test_app" / "test_status.yaml").rename(
        cassettes / "test_app" / "test_renamed.yaml"
    )
    (cassettes / "test_app" / "test_status.failed.yaml").write_text("a failed take is no cassette")
    code, out, _ = _diff(capsys, "old", "cassettes")
    assert code == 1
    assert "test_app/test_renamed.yaml: added (only in new)" in out
    assert "test_app/test_status.yaml: removed (only in old)" in out
    assert "failed" not in out.replace("failed take", "")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d.joinpath("bad.yaml").write_text("format: 1\nmeta: {\n"), "bad.yaml"),
        (lambda d: d.joinpath("bad.yaml").write_bytes(b"\xff\xfe\x00garbage"), "bad.yaml"),
        (
            lambda d: d.joinpath("bad.yaml").write_text("format: 9\nmeta: {}\ninteractions: []\n"),
            "bad.yaml",
        ),
        (lambda d: None, "missing.yaml: no such cassette or folder"),
    ],
)
def test_corrupt_or_missing_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make, message: str
) -> None:
    good = Path(__file__).resolve().parents[2] / "cassettes" / "scenarios" / "math_tutor.yaml"
    make(tmp_path)
    target = tmp_path / ("bad.yaml" if (tmp_path / "bad.yaml").exists() else "missing.yaml")
    code, out, err = _diff(capsys, str(good), str(target))
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith("harness diff: ") and message in err
    assert "Traceback" not in err


def test_a_folder_is_not_compared_with_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = Path(__file__).resolve().parents[2] / "cassettes" / "scenarios"
    code, _, err = _diff(capsys, str(good), str(good / "math_tutor.yaml"))
    assert code == 2 and "cannot compare the folder" in err and len(err.splitlines()) == 1
    code, _, err = _diff(capsys, str(good))
    assert code == 2 and "give two cassettes or two folders" in err


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid"}
    env.update(GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid")
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def test_git_compares_the_working_tree_with_a_revision(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _record(pytester)
    _git(pytester.path, "init", "-q")
    _git(pytester.path, "add", "cassettes")
    _git(pytester.path, "commit", "-q", "-m", "recorded")
    monkeypatch.chdir(pytester.path)
    code, out, _ = _diff(capsys, "--git", "HEAD")  # the folder defaults to cassettes
    assert code == 0 and "HEAD:cassettes" in out.splitlines()[0]

    _record(pytester, n=3)  # re-recorded: one cassette's conversation changed
    code, out, _ = _diff(capsys, "--git", "HEAD", "cassettes", "--format", "markdown")
    assert code == 1
    assert "| `test_app/test_arguments.yaml` |" in out
    assert "test_messages.yaml" not in out and "test_status.yaml" not in out

    code, out, _ = _diff(capsys, "--git", "HEAD", "cassettes/test_app/test_arguments.yaml")
    assert code == 1 and "~ /n: 2 -> 3" in out

    code, _, err = _diff(capsys, "--git", "no-such-revision", "cassettes")
    assert code == 2 and "--git no-such-revision: not a revision" in err
    assert len(err.splitlines()) == 1
