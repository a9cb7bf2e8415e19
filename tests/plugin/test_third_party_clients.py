"""Unmodified third-party Responses clients (the OpenAI Agents SDK's Runner, pydantic-ai's
OpenAIResponsesModel, LangChain's ChatOpenAI(use_responses_api=True), LlamaIndex's
OpenAIResponses), each with a function tool and its client built the library's own way at
import time, complete a tool-calling conversation through the plugin: recorded against the
embedded emulator by a brain rule (again: byte-identical), and against a Responses-compatible
loopback server; each recording replays offline with the same answer, and nothing ever leaves
loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.support.clients import CLIENTS, Client
from tests.support.offline import loopback_only
from tests.support.responses_server import responses_server

DEAD = "http://127.0.0.1:9/v1"  # nothing listens: a replay that reached out would fail
CASSETTE = ("cassettes", "test_app", "test_app.yaml")


@pytest.fixture(params=CLIENTS, ids=[c.name for c in CLIENTS])
def client(request: pytest.FixtureRequest) -> Client:
    """The client, imported before `pytester` snapshots `sys.modules`, so that every inner
    run (and every later test) reuses the one import."""
    chosen: Client = request.param
    chosen.load()
    return chosen


@pytest.fixture
def outside() -> Iterator[list[str]]:
    """Every lookup or connection beyond loopback the runs attempt (each refused)."""
    with loopback_only() as attempts:
        yield attempts


def test_a_client_records_on_the_emulator_by_a_brain_rule_and_replays_offline(
    client: Client,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    outside: list[str],
) -> None:
    client.copy_to(pytester.path)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    recorded = pytester.runpytest("-p", "no:cacheprovider", "-s", "--record")
    recorded.assert_outcomes(passed=1)
    assert _final(recorded) == ["FINAL The weather: sunny in Paris"]
    cassette = pytester.path.joinpath(*CASSETTE).read_bytes()
    assert b"function_call_output" in cassette

    monkeypatch.setenv("OPENAI_BASE_URL", DEAD)
    replayed = pytester.runpytest("-p", "no:cacheprovider", "-s")
    replayed.assert_outcomes(passed=1)
    assert _final(replayed) == _final(recorded)
    assert pytester.path.joinpath(*CASSETTE).read_bytes() == cassette

    again = pytester.runpytest("-p", "no:cacheprovider", "--record")
    again.assert_outcomes(passed=1)
    again.stdout.fnmatch_lines(["*0 new, 0 rewritten, 1 unchanged*"])
    assert pytester.path.joinpath(*CASSETTE).read_bytes() == cassette
    assert outside == []


def test_a_client_records_from_a_loopback_responses_server_and_replays_offline(
    client: Client,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    outside: list[str],
) -> None:
    client.copy_to(pytester.path)
    live = ("-p", "no:cacheprovider", "-s", "--record", "--record-backend=live")
    with responses_server(calls={"get_weather": {"city": "Paris"}}) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-planted-0123456789abcdef")
        recorded = pytester.runpytest(*live)
        recorded.assert_outcomes(passed=1)
        asked = [body.get("path") for body in server.seen]
    assert asked == ["/v1/responses", "/v1/responses"]  # the call, then the answer to its output
    assert _final(recorded) == ["FINAL The tool said: sunny in Paris"]
    cassette = pytester.path.joinpath(*CASSETTE).read_bytes()
    assert b"function_call_output" in cassette and b"sk-test-planted" not in cassette

    monkeypatch.setenv("OPENAI_BASE_URL", DEAD)
    monkeypatch.delenv("OPENAI_API_KEY")
    replayed = pytester.runpytest("-p", "no:cacheprovider", "-s")
    replayed.assert_outcomes(passed=1)
    assert _final(replayed) == _final(recorded)
    assert pytester.path.joinpath(*CASSETTE).read_bytes() == cassette
    assert outside == []


def _final(result: pytest.RunResult) -> list[str]:
    return re.findall(r"FINAL .*", result.stdout.str())
