"""Strict replay (`assistants_strict` / `strict=True`): a replayed test that no longer makes
some of its recorded requests fails, naming them; how often an identical poll repeated does
not count."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.recorded_once import cassettes_recorded_once

APP = """
import pytest

SUBMIT = {submit}
READS = {reads}
QUIZ = {{"name": "quiz", "parameters": {{"type": "object", "properties": {{"n": {{"type": "integer"}}}}}}}}
BRAIN = [
    {{"match": {{"message": "quiz"}}, "actions": [
        {{"call": {{"name": "quiz", "arguments": {{"n": 2}}}}}},
        {{"say": "Thanks: {{{{outputs.quiz}}}}"}},
    ]}},
]


@pytest.fixture
def thread(openai_client):
    thread = openai_client.beta.threads.create()
    yield thread
    openai_client.beta.threads.delete(thread.id)  # made at teardown: counts as played too


@pytest.mark.assistants_cassette(brain=BRAIN{marker})
def test_quiz(openai_client, thread):
    runs = openai_client.beta.threads.runs
    assistant = openai_client.beta.assistants.create(
        model="gpt-4o", name="Quiz", tools=[{{"type": "function", "function": QUIZ}}]
    )
    openai_client.beta.threads.messages.create(thread.id, role="user", content="a quiz please")
    run = runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "requires_action"
    if SUBMIT:
        call = run.required_action.submit_tool_outputs.tool_calls[0]
        run = runs.submit_tool_outputs_and_poll(
            run_id=run.id, thread_id=thread.id, tool_outputs=[{{"tool_call_id": call.id, "output": "7"}}]
        )
    for _ in range(READS):  # a poll loop that reads the finished run again
        runs.retrieve(run.id, thread_id=thread.id)
    openai_client.beta.threads.messages.list(thread.id)
"""


def _app(pytester: pytest.Pytester, submit: bool = True, reads: int = 3, marker: str = "") -> None:
    pytester.makepyfile(test_app=APP.format(submit=submit, reads=reads, marker=marker))


def _recorded(pytester: pytest.Pytester, recording: Path) -> str:
    _app(pytester)
    cassettes_recorded_once(
        pytester,
        recording,
        lambda: pytester.runpytest("-p", "no:cacheprovider", "--record").assert_outcomes(passed=1),
    )
    text = (pytester.path / "cassettes" / "test_app" / "test_quiz.yaml").read_text()
    assert "repeat: 3" in text  # the finished run, read again three times in a row
    return text


def _strict(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makeini("[pytest]\nassistants_strict = true\n")
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def test_an_app_that_skips_submitting_tool_outputs_fails_naming_the_request(
    pytester: pytest.Pytester, recording: Path
) -> None:
    text = _recorded(pytester, recording)
    _app(pytester, submit=False)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)  # not strict: passes
    result = _strict(pytester)
    result.assert_outcomes(failed=1)  # the test failed: not "1 passed, 1 error"
    result.stdout.fnmatch_lines(
        [
            "*test_quiz.yaml: strict replay: 1 of 12 recorded requests were never made:",
            "  submit_tool_outputs_to_run: POST /threads/thread_*/runs/run_*/submit_tool_outputs "
            "(interaction 7, line *)",
            "The app no longer makes them: fix the app, or re-record the cassette with: "
            "pytest --record 'test_app.py::test_quiz'",
        ]
    )
    line = int(re.search(r"interaction 7, line (\d+)", result.stdout.str())[1])  # type: ignore[index]
    lines = text.splitlines()
    assert lines[line - 1].startswith("- request:")
    assert lines[line + 1].strip().endswith('/submit_tool_outputs",')


def test_fewer_polls_of_an_unchanged_run_pass(pytester: pytest.Pytester, recording: Path) -> None:
    _recorded(pytester, recording)
    for reads in (3, 1, 0):  # the finished run read 4, 2, then 1 time(s) of the recorded 4
        _app(pytester, reads=reads)
        _strict(pytester).assert_outcomes(passed=1)


def test_a_request_left_out_in_the_middle_fails_even_when_later_ones_repeat(
    pytester: pytest.Pytester, recording: Path
) -> None:
    _recorded(pytester, recording)
    app = (pytester.path / "test_app.py").read_text()
    # the app no longer lists the thread's messages: the last recorded request before the
    # teardown's delete is never made
    listing = "    openai_client.beta.threads.messages.list(thread.id)"
    assert listing in app
    pytester.makepyfile(test_app=app.replace(listing, "    pass"))
    result = _strict(pytester)
    # The last request of the test body: only the fixture's teardown could still have made
    # it, so it is judged (and reported) once the teardown is done.
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["  list_messages: GET /threads/thread_*/messages (interaction 11, *)"]
    )
    assert "delete_thread" not in result.stdout.str()


@pytest.mark.parametrize(
    ("ini", "marker", "strict"),
    [("true", ", strict=False", False), ("false", ", strict=True", True), ("", "", False)],
)
def test_the_marker_wins_over_the_ini_key(
    pytester: pytest.Pytester, ini: str, marker: str, strict: bool, recording: Path
) -> None:
    _recorded(pytester, recording)
    _app(pytester, submit=False, marker=marker)
    if ini:
        pytester.makeini(f"[pytest]\nassistants_strict = {ini}\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=0 if strict else 1, failed=1 if strict else 0)


def test_strict_must_be_true_or_false(pytester: pytest.Pytester, recording: Path) -> None:
    _recorded(pytester, recording)
    _app(pytester, marker=', strict="yes"')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*test_app.py::test_quiz: strict: expected True or False, got 'yes'"]
    )
