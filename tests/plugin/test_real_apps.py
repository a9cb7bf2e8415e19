"""Apps as they are written: clients built at import time, other API calls on the same client."""

from __future__ import annotations

import pytest

from tests.support.chat_server import chat_server, completion
from tests.support.offline import loopback_only
from tests.support.responses_server import responses_server

APP = """
import openai
import pytest

client = openai.OpenAI()            # built at import time, before any cassette is active


def tutor(c, question):
    assistant = c.beta.assistants.create(model="gpt-4o", name="Tutor")
    thread = c.beta.threads.create(messages=[{"role": "user", "content": question}])
    run = c.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed"
    return c.beta.threads.messages.list(thread.id).data[0].content[0].text.value


@pytest.mark.assistants_cassette
def test_module_client():
    assert "3x" in tutor(client, "3x + 11 = 14?")


@pytest.mark.assistants_cassette
def test_fixture_client(openai_client):
    assert "2x" in tutor(openai_client, "2x = 4?")
"""


def test_a_module_level_client_records_against_the_emulator_and_replays(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No key and no base URL: the module imports, and the SDK's default host is caught.
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    pytester.makepyfile(test_app=APP)
    recorded = pytester.runpytest("--record")
    recorded.assert_outcomes(passed=2)
    cassette = (pytester.path / "cassettes" / "test_app" / "test_module_client.yaml").read_text()
    assert '"path": "/threads"' in cassette and "3x + 11 = 14?" in cassette
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


CHAT_APP = """
import os
import openai
import pytest

client = openai.OpenAI()            # OPENAI_BASE_URL names the team's gateway


def summary(c):
    answer = c.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "summarise"}]
    )
    return answer.choices[0].message.content


@pytest.mark.assistants_cassette
def test_module_client_beside_chat():
    client.beta.threads.create()
    assert summary(client) == "a summary"


@pytest.mark.assistants_cassette
def test_fixture_client_beside_chat(openai_client):
    openai_client.beta.threads.create()
    assert summary(openai_client) == "a summary"
"""


def test_other_api_calls_on_the_same_client_reach_the_apps_server_while_recording(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_app=CHAT_APP)
    with chat_server() as chat:
        chat.script(*[completion("a summary")] * 2)
        monkeypatch.setenv("OPENAI_BASE_URL", chat.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-team-gateway-key-0123456789")
        pytester.runpytest("--record").assert_outcomes(passed=2)
        # Both chat completions reached the app's own server, with the app's key; the
        # threads went to the emulator.
        assert [r.path for r in chat.received] == ["/v1/chat/completions"] * 2
        assert {r.headers.get("authorization") for r in chat.received} == {
            "Bearer sk-team-gateway-key-0123456789"
        }
        folder = pytester.path / "cassettes" / "test_app"
        for name in ("test_module_client_beside_chat", "test_fixture_client_beside_chat"):
            text = (folder / f"{name}.yaml").read_text()
            assert '"path": "/threads"' in text
            assert "chat/completions" not in text and "sk-team-gateway" not in text
        # In replay the chat call is refused with one line, and nothing reaches the server.
        replayed = pytester.runpytest()
        replayed.assert_outcomes(failed=2)
        replayed.stdout.fnmatch_lines(["*POST http://127.0.0.1:*/v1/chat/completions is not*"])
        assert len(chat.received) == 2


LIVE_CASSETTE = """\
format: 1
meta: {{backend: live, base_host: assistants.example, test: "test_app.py::test_app"}}
interactions:
- request: {{method: POST, path: /threads, body: {{}}}}
  response:
    status: 200
    body: {{id: thread_live, object: thread, created_at: 1, metadata: {{}}, tool_resources: {{}}}}
"""

LIVE_APP = """
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    openai_client.beta.threads.create()
    {extra}
"""


def _live_project(pytester: pytest.Pytester, extra: str = "") -> str:
    pytester.makepyfile(test_app=LIVE_APP.format(extra=extra))
    folder = pytester.path / "cassettes" / "test_app"
    folder.mkdir(parents=True)
    path = folder / "test_app.yaml"
    path.write_text(LIVE_CASSETTE.format())
    return path.read_text()


def test_a_live_recording_is_not_replaced_by_an_emulator_take(pytester: pytest.Pytester) -> None:
    before = _live_project(pytester)
    pytester.runpytest().assert_outcomes(passed=1)  # it replays
    refused = pytester.runpytest("--record")
    refused.assert_outcomes(errors=1)
    refused.stdout.fnmatch_lines(
        [
            "*test_app.yaml: recorded live, so a take of the emulator would replace it; record "
            "it live again with: pytest --record --record-backend=live 'test_app.py::test_app' "
            "(or add --record-replace-live to replace it anyway)"
        ]
    )
    path = pytester.path / "cassettes" / "test_app" / "test_app.yaml"
    assert path.read_text() == before, "the live recording stays byte-identical"
    pytester.makepyfile(
        test_app=LIVE_APP.format(extra="openai_client.beta.assistants.create(model='gpt-4o')")
    )
    replaced = pytester.runpytest("--record", "--record-replace-live")
    replaced.assert_outcomes(passed=1)
    replaced.stdout.fnmatch_lines(["*1 rewritten*"])
    assert "emulator" in path.read_text() and "thread_live" not in path.read_text()


def test_hints_for_a_live_cassette_name_the_live_backend(pytester: pytest.Pytester) -> None:
    _live_project(pytester, extra="openai_client.beta.assistants.create(model='gpt-4o')")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*To re-record this test: pytest --record --record-backend=live 'test_app.py::test_app'"]
    )


def test_strict_replay_fails_the_test_not_its_teardown(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_app="""
import os
import pytest

@pytest.mark.assistants_cassette(strict=True)
def test_app(openai_client):
    openai_client.beta.threads.create()
    if os.environ.get("TWICE"):
        openai_client.beta.threads.create()
    openai_client.beta.assistants.create(model="gpt-4o")
"""
    )
    monkeypatch.setenv("TWICE", "1")
    pytester.runpytest("--record").assert_outcomes(passed=1)
    monkeypatch.delenv("TWICE")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)  # a failure of the test: no "1 passed, 1 error"
    result.stdout.fnmatch_lines(["*recorded*never made*", "*1 failed*"])


FAILING_RUN = """
import pytest

RULES = [{"match": {}, "actions": [{"fail": {"code": "rate_limit_exceeded",
                                             "message": "Slow down, the quota is spent."}}]}]

@pytest.mark.assistants_cassette(brain=RULES)
def test_app(openai_client):
    assistant = openai_client.beta.assistants.create(model="gpt-4o")
    run = openai_client.beta.threads.create_and_run_poll(assistant_id=assistant.id)
    assert run.status == "completed"
"""


def test_a_failed_recording_says_what_the_backend_said(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_app=FAILING_RUN)
    result = pytester.runpytest("--record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*assistants: what the backend said*",
            "GET /threads/thread_*/runs/run_*: run run_* ended failed: rate_limit_exceeded: Slow "
            "down, the quota is spent.",
        ]
    )
    folder = pytester.path / "cassettes" / "test_app"
    assert (folder / "test_app.failed.yaml").exists()
    ignore = (folder / ".gitignore").read_text()
    assert "*.failed.yaml" in ignore.splitlines(), "kept takes are not committed by accident"
    assert "*.failed.html" in ignore.splitlines(), "nor their trace pages"
    pytester.runpytest("--record").assert_outcomes(failed=1)
    assert (folder / ".gitignore").read_text() == ignore, "the line is added once"


def test_an_expected_failure_keeps_no_failed_recording(pytester: pytest.Pytester) -> None:
    xfail = "@pytest.mark.xfail\n@pytest.mark.assistants"
    pytester.makepyfile(test_app=FAILING_RUN.replace("@pytest.mark.assistants", xfail))
    result = pytester.runpytest("--record")
    result.assert_outcomes(xfailed=1)
    assert "kept failed" not in result.stdout.str()
    assert not list((pytester.path / "cassettes").rglob("*.failed.yaml"))


def test_a_first_snapshot_while_recording_names_the_flag(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_app="""
import pytest
from harness.snapshot import transcript_snapshot

@pytest.mark.assistants_cassette
def test_app(openai_client, assistants_cassette, snapshot):
    openai_client.beta.threads.create()
    assert assistants_cassette.transcript() == transcript_snapshot(snapshot)
"""
    )
    result = pytester.runpytest("--record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*record with --snapshot-update too (syrupy's flag)*"])
    pytester.runpytest("--record", "--snapshot-update").assert_outcomes(passed=1)


def test_a_projects_own_scenarios_folder_is_left_alone(pytester: pytest.Pytester) -> None:
    pytester.mkdir("scenarios")
    pytester.path.joinpath("scenarios", "deploy.yaml").write_text("stages: [build, test]\n")
    pytester.makepyfile(test_app="def test_plain():\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert "deploy.yaml" not in result.stdout.str()


UPLOAD_APP = """
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    openai_client.files.create(file=("notes.txt", b"Filip Carola: cake\\n"), purpose="assistants")
"""


def test_an_uploads_summary_counts_every_byte_and_old_summaries_still_replay(
    pytester: pytest.Pytester,
) -> None:
    import hashlib

    pytester.makepyfile(test_app=UPLOAD_APP)
    pytester.runpytest("--record").assert_outcomes(passed=1)
    path = pytester.path / "cassettes" / "test_app" / "test_app.yaml"
    text = path.read_text()
    content = b"Filip Carola: cake\n"
    assert f'"size": {len(content)}' in text  # the trailing newline is counted and hashed
    assert hashlib.sha256(content).hexdigest() in text
    # A cassette recorded by harness 0.2 summarised the upload without its trailing newline.
    old = hashlib.sha256(content.rstrip(b"\n")).hexdigest()
    path.write_text(
        text.replace(hashlib.sha256(content).hexdigest(), old).replace(
            f'"size": {len(content)}', f'"size": {len(content) - 1}'
        )
    )
    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.slow
def test_a_replay_only_install_replays_a_test_that_sets_its_brain(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_app="""
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client, assistants_emulator):
    assistants_emulator.set_brain([{"match": {}, "actions": [{"say": "hi"}]}])
    openai_client.beta.threads.create()
"""
    )
    pytester.runpytest("--record").assert_outcomes(passed=1)
    # Without the emulator extra (starlette cannot be imported) replay needs nothing of it.
    blocked = pytester.mkdir("blocked")
    (blocked / "starlette").mkdir()
    (blocked / "starlette" / "__init__.py").write_text(
        "raise ImportError(\"No module named 'starlette'\", name='starlette')\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(blocked))
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
    recording = pytester.runpytest_subprocess("--record")
    recording.assert_outcomes(errors=1)
    recording.stdout.fnmatch_lines(["*needs its extra (starlette is missing)*"])


def test_a_note_for_many_tests_is_said_once(pytester: pytest.Pytester) -> None:
    tool = (
        '{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", '
        '"properties": {"q": {"type": "string"}}}}}'
    )
    tests = "\n".join(
        f"""
@pytest.mark.assistants_cassette
def test_{n}(openai_client):
    a = openai_client.beta.assistants.create(model="gpt-4o", tools=[{tool}])
    openai_client.beta.threads.create_and_run_poll(assistant_id=a.id)
"""
        for n in range(5)
    )
    pytester.makepyfile(test_app="import pytest\n" + tests)
    result = pytester.runpytest("--record")
    result.assert_outcomes(passed=5)
    assert result.stdout.str().count("no brain rule matched") == 1
    assert result.stdout.str().count("- match: {tools: [lookup]}") == 1
    result.stdout.fnmatch_lines(
        [
            "note: *no brain rule matched* (test_app.py::test_0, test_app.py::test_1, "
            "test_app.py::test_2 and 2 more)"
        ]
    )


def test_faults_each_with_nothing_to_fault_says_so_in_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_app="""
import pytest

@pytest.mark.assistants_faults(faults="each")
@pytest.mark.assistants_cassette
def test_app(openai_client):
    openai_client.beta.threads.create()
"""
    )
    pytester.runpytest("--record").assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)  # not skipped with "got empty parameter set"
    result.stdout.fnmatch_lines(
        [
            "*assistants_faults(faults='each') found nothing to fault in *test_app.yaml: its "
            "recording has no run, stream, function call or request a fault can strike*"
        ]
    )


def test_the_suggested_rule_gives_arguments_the_tools_schema_accepts(
    pytester: pytest.Pytester,
) -> None:
    tool = (
        '{"type": "function", "function": {"name": "create_ticket", "parameters": {"type": '
        '"object", "properties": {"customer_id": {"type": "string", "pattern": "^C[0-9]{6}$"}, '
        '"email": {"type": "string", "format": "email"}}, "required": ["customer_id"]}}}'
    )
    pytester.makepyfile(
        test_app=f"""
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    a = openai_client.beta.assistants.create(model="gpt-4o", tools=[{tool}])
    openai_client.beta.threads.create_and_run_poll(assistant_id=a.id)
"""
    )
    result = pytester.runpytest("--record")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ['*arguments: {"customer_id": "C000000", "email": "user@example.com"}*']
    )


DEFAULT_HOST_APP = """
import openai
import pytest

# A library that does not read OPENAI_BASE_URL (LlamaIndex reads OPENAI_API_BASE) builds its
# client on the SDK's default host, with the key it found.
client = openai.OpenAI(base_url="https://api.openai.com/v1")


@pytest.mark.assistants_cassette
def test_app():
    response = client.responses.create(model="gpt-test", input="hello")
    print("ANSWER", response.output_text)
"""


def test_live_recording_carries_requests_sent_to_the_sdks_default_host_to_the_live_server(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_app=DEFAULT_HOST_APP)
    with loopback_only() as outside, responses_server() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-planted-0123456789abcdef")
        live = ("-p", "no:cacheprovider", "-s", "--record", "--record-backend=live")
        recorded = pytester.runpytest(*live)
        recorded.assert_outcomes(passed=1)
        seen = [(e["path"], e["headers"].get("authorization")) for e in server.seen]
    assert seen == [("/v1/responses", "Bearer sk-test-planted-0123456789abcdef")]
    assert outside == []
    assert "ANSWER You said: hello" in recorded.stdout.str()
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    replayed = pytester.runpytest("-p", "no:cacheprovider", "-s")
    replayed.assert_outcomes(passed=1)
    assert "ANSWER You said: hello" in replayed.stdout.str()
