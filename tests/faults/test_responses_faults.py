"""Fault overlays over recorded Responses traffic: a background response ends failed, incomplete
or cancelled at a poll, a streamed one ends failed or incomplete, a create or a poll answers
429/500/503 (the SDK retries, replay never sleeps), a stream is cut, a function call gets
other arguments. Recorded through the plugin from the loopback Responses server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.recorded_once import cassettes_recorded_once
from tests.support.responses_server import responses_server

APP = """
import json
import pytest
import openai

WEATHER = {"type": "function", "name": "get_weather", "strict": True, "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}},
    "required": ["city"], "additionalProperties": False}}
FAULTS = __FAULTS__


def background(client):
    response = client.responses.create(model="m", input="think", background=True)
    statuses = [response.status]
    while response.status in ("queued", "in_progress"):
        response = client.responses.retrieve(response.id)
        statuses.append(response.status)
    return response, statuses


@pytest.mark.assistants_cassette
@pytest.mark.assistants_faults(*FAULTS.get("background", ()))
def test_background(openai_client):
    response, statuses = background(openai_client)
    EXPECT_BACKGROUND(response, statuses)


@pytest.mark.assistants_cassette
@pytest.mark.assistants_faults(*FAULTS.get("streamed", ()))
def test_streamed(openai_client):
    events = list(openai_client.responses.create(model="m", input="stream", stream=True))
    EXPECT_STREAMED(events)


@pytest.mark.assistants_cassette
@pytest.mark.assistants_faults(*FAULTS.get("tools", ()))
def test_tools(openai_client):
    asked = openai_client.responses.create(model="m", input="weather?", tools=[WEATHER])
    call = asked.output[0]
    try:
        output = json.loads(call.arguments)["city"]
    except (ValueError, KeyError):
        output = "error: bad arguments"
    EXPECT_TOOLS(output)
"""
PASS = """
def EXPECT_BACKGROUND(response, statuses):
    assert statuses[-1] == "completed"

def EXPECT_STREAMED(events):
    assert events[-1].type == "response.completed"

def EXPECT_TOOLS(output):
    assert output == "Paris"
"""


def _write(pytester: pytest.Pytester, faults: dict[str, list[str]], expect: str) -> None:
    pytester.makepyfile(test_app=expect + APP.replace("__FAULTS__", repr(faults)))


@pytest.fixture
def recorded(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, recording: Path
) -> pytest.Pytester:
    _write(pytester, {}, PASS)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-planted-0123456789abcdef")

    def record() -> None:
        with responses_server(calls={"get_weather": {"city": "Paris"}}, polls=3) as app:
            monkeypatch.setenv("OPENAI_BASE_URL", app.base_url)
            live = ("-p", "no:cacheprovider", "--record", "--record-backend=live")
            pytester.runpytest(*live).assert_outcomes(passed=3)

    cassettes_recorded_once(pytester, recording, record)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    return pytester


@pytest.mark.parametrize(
    ("fault", "statuses", "detail"),
    [
        ("failed@resp_1.poll_2", ["queued", "in_progress", "failed"], "server_error"),
        ("failed:rate_limit_exceeded@resp_1", ["queued", "failed"], "rate_limit_exceeded"),
        (
            "incomplete@resp_1.poll_3",
            ["queued", "in_progress", "in_progress", "incomplete"],
            "max_output_tokens",
        ),
        ("incomplete:content_filter@resp_1", ["queued", "incomplete"], "content_filter"),
        ("cancelled@resp_1.poll_1", ["queued", "cancelled"], None),
    ],
)
def test_a_background_response_ends_at_its_poll(
    recorded: pytest.Pytester, fault: str, statuses: list[str], detail: str | None
) -> None:
    expect = f"""
def EXPECT_BACKGROUND(response, statuses):
    assert statuses == {statuses!r}
    found = (response.error and response.error.code) or (
        response.incomplete_details and response.incomplete_details.reason)
    assert found == {detail!r}

def EXPECT_STREAMED(events): pass
def EXPECT_TOOLS(output): pass
"""
    _write(recorded, {"background": [fault]}, expect)
    recorded.runpytest("-p", "no:cacheprovider", "-k", "background").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    "fault", ["http429@resp_1.create", "http503@resp_1.poll_2", "http500@request_1"]
)
def test_http_errors_are_retried_by_the_sdk_without_sleeping(
    recorded: pytest.Pytester, fault: str
) -> None:
    _write(recorded, {"background": [fault]}, PASS)
    result = recorded.runpytest("-p", "no:cacheprovider", "-k", "background", "--durations=1")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("fault", "last"),
    [("failed@resp_1.end", "response.failed"), ("incomplete@resp_1", "response.incomplete")],
)
def test_a_streamed_response_ends_failed_or_incomplete(
    recorded: pytest.Pytester, fault: str, last: str
) -> None:
    expect = f"""
def EXPECT_BACKGROUND(response, statuses): pass
def EXPECT_TOOLS(output): pass

def EXPECT_STREAMED(events):
    assert events[-1].type == {last!r}
    assert events[-1].response.status == {last.split(".")[1]!r}
    assert [e.sequence_number for e in events] == list(range(len(events)))
"""
    _write(recorded, {"streamed": [fault]}, expect)
    recorded.runpytest("-p", "no:cacheprovider", "-k", "streamed").assert_outcomes(passed=1)


def test_a_cut_stream_and_other_arguments(recorded: pytest.Pytester) -> None:
    expect = """
def EXPECT_BACKGROUND(response, statuses): pass

def EXPECT_STREAMED(events):
    assert events[-1].type != "response.completed" and len(events) == 4

def EXPECT_TOOLS(output):
    assert output == "error: bad arguments"
"""
    _write(
        recorded,
        {"streamed": ["cut@stream_1.event_4"], "tools": ["arguments:empty@call_1"]},
        expect,
    )
    recorded.runpytest("-p", "no:cacheprovider", "-k", "streamed or tools").assert_outcomes(
        passed=2
    )


def test_a_fault_a_response_cannot_take_is_one_line(recorded: pytest.Pytester) -> None:
    _write(recorded, {"background": ["expired@resp_1"], "streamed": ["cancelled@resp_1.end"]}, PASS)
    result = recorded.runpytest("-p", "no:cacheprovider", "-k", "background or streamed")
    result.stdout.fnmatch_lines(
        [
            "*fault expired@resp_1: a response cannot end expired (it ends failed, cancelled, incomplete)*",
            "*fault cancelled@resp_1.end: a stream does not end cancelled*",
        ],
        consecutive=False,
    )
    assert result.ret != 0
