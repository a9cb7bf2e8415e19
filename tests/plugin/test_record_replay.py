"""`pytest --record` then plain `pytest`: the round trip a user makes."""

from __future__ import annotations

import pytest

APP_TEST = """
import openai
import pytest

@pytest.mark.assistants_cassette
def test_sync(openai_client):
    a = openai_client.beta.assistants.create(model="gpt-4o", name="Math Tutor")
    assert a.id == "obj_echo"
    got = openai_client.beta.threads.runs.steps.list(
        thread_id="thread_1", run_id="run_1", include=["step_details.tool_calls[*].file_search.results[*].content"]
    )

@pytest.mark.assistants_cassette
def test_own_client_from_env():
    client = openai.OpenAI()   # the app builds its own client from the environment
    assert client.beta.threads.create().id == "obj_echo"

@pytest.mark.assistants_cassette
@pytest.mark.anyio
async def test_async(async_openai_client):
    thread = await async_openai_client.beta.threads.create()
    assert thread.id == "obj_echo"

@pytest.mark.assistants_cassette
def test_stream(openai_client):
    events = [e.event for e in openai_client.beta.threads.runs.create(
        thread_id="thread_1", assistant_id="asst_1", stream=True)]
    assert events == ["thread.run.created", "thread.run.completed"]

@pytest.fixture
def anyio_backend():
    return "asyncio"
"""


def test_record_then_replay_offline(pytester: pytest.Pytester, echo_backend) -> None:
    _, seen = echo_backend
    pytester.makepyfile(test_app=APP_TEST)
    recorded = pytester.runpytest("--record", "--record-backend=live")
    recorded.assert_outcomes(passed=4)
    recorded.stdout.fnmatch_lines(["*recorded (new): *cassettes/test_app/test_sync.yaml"])
    assert len(seen) == 5
    cassettes = sorted(p.name for p in (pytester.path / "cassettes" / "test_app").iterdir())
    assert cassettes == [
        "test_async.yaml",
        "test_own_client_from_env.yaml",
        "test_stream.yaml",
        "test_sync.yaml",
    ]

    seen.clear()
    replayed = pytester.runpytest()
    replayed.assert_outcomes(passed=4)
    assert seen == [], "replay must not touch the backend"


def test_replay_under_another_base_url(
    pytester: pytest.Pytester, echo_backend, monkeypatch
) -> None:
    pytester.makepyfile(test_app=APP_TEST)
    pytester.runpytest("--record", "--record-backend=live").assert_outcomes(passed=4)
    monkeypatch.setenv("OPENAI_BASE_URL", "https://assistants.example.invalid/v1")
    pytester.runpytest().assert_outcomes(passed=4)


def test_cassette_stores_bodies_as_data(pytester: pytest.Pytester, echo_backend) -> None:
    pytester.makepyfile(test_app=APP_TEST)
    pytester.runpytest("--record", "--record-backend=live", "-k", "stream or sync")
    text = (pytester.path / "cassettes" / "test_app" / "test_stream.yaml").read_text()
    assert '"event": "thread.run.created"' in text
    assert "format: 1" in text
    assert '"backend": "live"' in text
    sync = (pytester.path / "cassettes" / "test_app" / "test_sync.yaml").read_text()
    assert '"name": "Math Tutor"' in sync
    assert "user-agent" not in sync.split('"echo"')[0].lower()
