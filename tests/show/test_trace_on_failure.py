"""A failing marked test writes a trace page and its report names it (`--assistants-trace`,
ini `assistants_trace`); a replay miss's page shows where the conversation left the recording."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.recorded_once import cassettes_recorded_once

APP = """
import pytest

BRAIN = [{{"match": {{"message": "hello"}}, "actions": [{{"say": "Hi there!"}}]}}]


@pytest.mark.assistants_cassette(brain=BRAIN)
def test_chat(openai_client):
    thread = openai_client.beta.threads.create()
    openai_client.beta.threads.messages.create(thread.id, role="user", content={text!r})
    assistant = openai_client.beta.assistants.create(model="gpt-4o", name="Greeter")
    run = openai_client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id
    )
    assert run.status == "completed"
    {check}
"""


def _app(pytester: pytest.Pytester, text: str = "hello", check: str = "") -> None:
    pytester.makepyfile(test_app=APP.format(text=text, check=check))


def _recorded(pytester: pytest.Pytester, recording: Path) -> None:
    """The app, with its cassette recorded."""
    _app(pytester)
    cassettes_recorded_once(
        pytester, recording, lambda: pytester.runpytest("--record").assert_outcomes(passed=1)
    )


def _page(output: str) -> Path:
    found = re.search(r"trace page: (\S+\.html)", output)
    assert found, output
    return Path(found.group(1))


def _data(page: Path) -> dict[str, object]:
    html = page.read_text("utf-8")
    raw = html.split('<script type="application/json" id="data">', 1)[1].split("</script>", 1)[0]
    data: dict[str, object] = json.loads(raw)
    return data


def test_a_replay_that_leaves_the_recording_names_a_page_marking_the_unmatched_request(
    pytester: pytest.Pytester,
    recording: Path,
) -> None:
    _recorded(pytester, recording)
    _app(pytester, text="hello, but said differently")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    page = _page(result.stdout.str())
    assert page.is_file()
    assert "assistants-traces" in page.parts  # under pytest's temporary folder, not cassettes/
    data = _data(page)
    departure = data["departure"]
    assert isinstance(departure, dict)
    assert departure["after"] == 1  # the thread was created; the message was not recorded so
    assert departure["request"]["path"].endswith("/messages")
    assert departure["request"]["body"]["content"] == "hello, but said differently"
    assert 2 in departure["unplayed"] and departure["played"] == [1]
    assert "No recorded response" in departure["message"]
    assert data["outcome"] == "failed"


def test_a_passing_replay_writes_no_page_unless_asked_for_always(
    pytester: pytest.Pytester,
    recording: Path,
) -> None:
    _recorded(pytester, recording)
    quiet = pytester.runpytest("-rA")
    quiet.assert_outcomes(passed=1)
    assert "trace page" not in quiet.stdout.str()
    always = pytester.runpytest("-rA", "--assistants-trace=always")
    always.assert_outcomes(passed=1)
    data = _data(_page(always.stdout.str()))
    assert data["outcome"] == "passed" and data["departure"] is None


def test_off_writes_no_page_from_the_option_or_the_ini_key(
    pytester: pytest.Pytester, recording: Path
) -> None:
    _recorded(pytester, recording)
    _app(pytester, text="something else")
    off = pytester.runpytest("--assistants-trace=off")
    off.assert_outcomes(failed=1)
    assert "trace page" not in off.stdout.str()
    pytester.makeini("[pytest]\nassistants_trace = off\n")
    by_ini = pytester.runpytest()
    by_ini.assert_outcomes(failed=1)
    assert "trace page" not in by_ini.stdout.str()
    # the command line wins over the ini key
    pytester.runpytest("--assistants-trace=on-failure").stdout.fnmatch_lines(["*trace page: *"])


def test_a_bad_ini_value_is_one_line(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nassistants_trace = sometimes\n")
    _app(pytester)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*assistants_trace: unknown value 'sometimes'; choose off, on-failure, always"]
    )


def test_a_failed_recording_keeps_its_page_beside_the_failed_take(
    pytester: pytest.Pytester,
) -> None:
    _app(pytester, check="assert False, 'the app broke'")
    result = pytester.runpytest("--record")
    result.assert_outcomes(failed=1)
    page = _page(result.stdout.str())
    folder = pytester.path / "cassettes" / "test_app"
    assert page == folder / "test_chat.failed.html"
    assert (folder / "test_chat.failed.yaml").is_file()
    assert not (folder / "test_chat.yaml").exists()
    data = _data(page)
    items = data["conversation"]["items"]
    assert [i["text"] for i in items if i["type"] == "message"] == ["hello"]
    assert [i["statuses"][-1] for i in items if i["type"] == "run"] == ["completed"]
    # the take that passes removes the failed take and its page
    _app(pytester)
    pytester.runpytest("--record").assert_outcomes(passed=1)
    assert not page.exists() and not (folder / "test_chat.failed.yaml").exists()


def test_pytest_html_links_the_page(pytester: pytest.Pytester, recording: Path) -> None:
    pytest.importorskip("pytest_html")
    _recorded(pytester, recording)
    _app(pytester, text="changed")
    report = pytester.path / "report.html"
    result = pytester.runpytest(f"--html={report}", "--self-contained-html")
    result.assert_outcomes(failed=1)
    page = _page(result.stdout.str())
    assert page.resolve().as_uri() in report.read_text("utf-8")
