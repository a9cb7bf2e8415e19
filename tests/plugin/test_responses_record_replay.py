"""Responses and Conversations traffic records and replays through the same marker, fixtures
and options as Assistants traffic (live backend: the scripted loopback server of
`tests.support.responses_server`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.responses_server import ResponsesServer, responses_server

KEY = "sk-test-planted-0123456789abcdef"
LIVE = ("-p", "no:cacheprovider", "--record", "--record-backend=live")
REPLAY = ("-p", "no:cacheprovider")

APP = """
import pytest
from openai import OpenAI

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


@pytest.mark.assistants_cassette
def test_plain_chain_and_tools(openai_client):
    first = openai_client.responses.create(model="m", input="hello", store=False)
    assert first.output_text == "You said: hello"
    asked = openai_client.responses.create(
        model="m", input="weather in Paris?", tools=[WEATHER], include=["message.output_text.logprobs"]
    )
    call = asked.output[0]
    assert (call.type, call.name, call.arguments) == ("function_call", "get_weather", '{"city": "Paris"}')
    answered = openai_client.responses.create(
        model="m",
        previous_response_id=asked.id,
        tools=[WEATHER],
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}],
    )
    assert answered.output_text == "The tool said: sunny"


@pytest.mark.assistants_cassette
def test_streams():
    client = OpenAI()  # built from the environment, as apps do
    with client.responses.stream(model="m", input="stream me") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text == "You said: stream me"
    numbers = [e.sequence_number for e in client.responses.create(model="m", input="raw", stream=True)]
    assert numbers == list(range(len(numbers))) and len(numbers) > 5
    background = list(client.responses.create(model="m", input="later", background=True, stream=True))
    resumed = list(
        client.responses.retrieve(background[0].response.id, stream=True, starting_after=3)
    )
    assert [e.sequence_number for e in resumed] == [e.sequence_number for e in background[4:]]


@pytest.mark.assistants_cassette
def test_background(openai_client):
    response = openai_client.responses.create(model="m", input="think", background=True)
    polls = 0
    while response.status in ("queued", "in_progress"):
        response = openai_client.responses.retrieve(response.id)
        polls += 1
    for _ in range(EXTRA_POLLS):  # polling more than when recorded costs nothing
        response = openai_client.responses.retrieve(response.id)
    assert response.status == "completed" and response.output_text == "You said: think"
    other = openai_client.responses.create(model="m", input="never mind", background=True)
    assert openai_client.responses.cancel(other.id).status == "cancelled"


@pytest.mark.assistants_cassette
def test_conversation(openai_client):
    conversation = openai_client.conversations.create(items=[{"role": "user", "content": "first"}])
    response = openai_client.responses.create(model="m", input="second", conversation=conversation.id)
    assert response.output_text == "You said: second"
    items = openai_client.conversations.items.list(conversation.id, order="asc")
    assert [i.role for i in items.data] == ["user", "user", "assistant"]
    page = openai_client.responses.input_items.list(response.id, limit=1)
    assert page.has_more is False and len(page.data) == 1
    openai_client.conversations.delete(conversation.id)


@pytest.mark.assistants_cassette
def test_both_apis(openai_client):
    thread = openai_client.beta.threads.create()
    response = openai_client.responses.create(model="m", input=f"port of {thread.id}")
    assert response.output_text == f"You said: port of {thread.id}"
"""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ResponsesServer]:
    with responses_server(calls={"get_weather": {"city": "Paris"}}) as app:
        monkeypatch.setenv("OPENAI_BASE_URL", app.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        yield app


def _write(pytester: pytest.Pytester, extra_polls: int = 0) -> None:
    pytester.makepyfile(test_app=f"EXTRA_POLLS = {extra_polls}\n" + APP)


def _cassettes(root: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((root / "cassettes").rglob("*.yaml"))}


def test_responses_traffic_records_and_replays_offline(
    pytester: pytest.Pytester, server: ResponsesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(pytester)
    pytester.runpytest(*LIVE).assert_outcomes(passed=5)
    recorded = _cassettes(pytester.path)
    assert set(recorded) == {
        "test_plain_chain_and_tools.yaml",
        "test_streams.yaml",
        "test_background.yaml",
        "test_conversation.yaml",
        "test_both_apis.yaml",
    }
    assert all(KEY not in text for text in recorded.values())
    both = recorded["test_both_apis.yaml"]
    assert "POST /threads" in both or '"/threads"' in both
    assert '"/responses"' in both
    assert '"sequence_number"' in recorded["test_streams.yaml"]
    seen = len(server.seen)

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing answers there
    result = pytester.runpytest(*REPLAY)
    result.assert_outcomes(passed=5)
    assert len(server.seen) == seen  # replay never reached the server
    assert _cassettes(pytester.path) == recorded


def test_polls_are_free_in_replay_and_strict_replay_holds(
    pytester: pytest.Pytester, server: ResponsesServer
) -> None:
    _write(pytester)
    pytester.runpytest(*LIVE, "-k", "background").assert_outcomes(passed=1)
    text = _cassettes(pytester.path)["test_background.yaml"]
    assert "repeat: 2" in text  # two identical `in_progress` polls kept once
    _write(pytester, extra_polls=5)
    pytester.runpytest(*REPLAY, "-k", "background").assert_outcomes(passed=1)
    pytester.makeini("[pytest]\nassistants_strict = true\n")
    pytester.runpytest(*REPLAY, "-k", "background").assert_outcomes(passed=1)


def test_rerecording_an_unchanged_test_writes_the_same_bytes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    takes = []
    for _ in range(2):
        with responses_server(calls={"get_weather": {"city": "Paris"}}) as app:
            monkeypatch.setenv("OPENAI_BASE_URL", app.base_url)
            monkeypatch.setenv("OPENAI_API_KEY", KEY)
            _write(pytester)
            pytester.runpytest(*LIVE, "--record-mode=all").assert_outcomes(passed=5)
            takes.append(_cassettes(pytester.path))
    assert takes[0] == takes[1]


def test_a_changed_request_misses_with_the_nearest_recorded_one(
    pytester: pytest.Pytester, server: ResponsesServer
) -> None:
    _write(pytester)
    pytester.runpytest(*LIVE, "-k", "conversation").assert_outcomes(passed=1)
    pytester.makepyfile(
        test_app=("EXTRA_POLLS = 0\n" + APP).replace('input="second"', 'input="changed"')
    )
    result = pytester.runpytest(*REPLAY, "-k", "conversation")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*No recorded response for POST /responses*"])
