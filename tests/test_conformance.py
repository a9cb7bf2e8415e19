"""The conformance report: how a recorded server deviated from the API, once per kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.cassette.model import Cassette, Interaction, Request, Response
from harness.cassette.storage import write_cassette
from harness.cli import main
from harness.conformance import check, summary

RUN = {
    "id": "run_1",
    "object": "thread.run",
    "created_at": 1_700_000_000,
    "thread_id": "thread_1",
    "assistant_id": "asst_1",
    "status": "completed",
    "required_action": None,
    "last_error": None,
    "expires_at": None,
    "started_at": 1_700_000_000,
    "cancelled_at": None,
    "failed_at": None,
    "completed_at": 1_700_000_001,
    "incomplete_details": None,
    "model": "gpt-4o",
    "instructions": "",
    "tools": [],
    "metadata": {},
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    "temperature": 1.0,
    "top_p": 1.0,
    "max_prompt_tokens": None,
    "max_completion_tokens": None,
    "truncation_strategy": {"type": "auto", "last_messages": None},
    "response_format": "auto",
    "tool_choice": "auto",
    "parallel_tool_calls": True,
}
MESSAGE = {
    "id": "msg_1",
    "object": "thread.message",
    "created_at": 1_700_000_000,
    "thread_id": "thread_1",
    "status": "completed",
    "incomplete_details": None,
    "completed_at": 1_700_000_001,
    "incomplete_at": None,
    "role": "assistant",
    "content": [{"type": "text", "text": {"value": "Hi", "annotations": []}}],
    "assistant_id": "asst_1",
    "run_id": "run_1",
    "attachments": [],
    "metadata": {},
}


def _get_run(body: Any, repeat: int = 1) -> Interaction:
    return Interaction(
        Request("GET", "/threads/thread_1/runs/run_1"), Response(200, body=body), repeat
    )


def _messages(data: list[Any], obj: str = "list") -> Interaction:
    body = {"object": obj, "data": data, "first_id": "msg_1", "last_id": "msg_1", "has_more": False}
    return Interaction(Request("GET", "/threads/thread_1/messages"), Response(200, body=body))


def test_an_api_shaped_conversation_has_no_deviation() -> None:
    cassette = Cassette(interactions=[_get_run(RUN), _messages([MESSAGE])])
    assert check(cassette, "ok.yaml") == []


def test_each_kind_of_deviation_is_named_once_with_where_it_was_first_seen() -> None:
    text_as_list = {**MESSAGE, "content": [{"type": "text", "text": [{"value": "Hi"}]}]}
    in_ms = {**RUN, "created_at": 1_700_000_000_000}
    no_usage = {k: v for k, v in RUN.items() if k not in ("usage", "temperature")}
    streamed_as_json = Interaction(
        Request("POST", "/threads/thread_1/runs", body={"assistant_id": "asst_1", "stream": True}),
        Response(200, body=RUN),
    )
    cassette = Cassette(
        interactions=[
            _get_run(no_usage),
            _get_run(no_usage),
            _get_run(in_ms),
            _messages([text_as_list]),
            _messages([MESSAGE], obj="thread.run.step"),
            streamed_as_json,
        ]
    )
    lines = summary(check(cassette, "live.yaml"))
    assert lines == [
        "get_run answer: /: required field 'usage' is missing (2 times); first at live.yaml: "
        "#1 GET /threads/thread_1/runs/run_1",
        "get_run answer: /: field 'temperature' is missing (the real API sent it) (2 times); "
        "first at live.yaml: #1 GET /threads/thread_1/runs/run_1",
        "get_run answer: /created_at: a timestamp in milliseconds (the API uses seconds); "
        "first at live.yaml: #3 GET /threads/thread_1/runs/run_1",
        "list_messages answer: /data/[]/content/[]: matches none of the shapes the API allows "
        "here (got object); first at live.yaml: #4 GET /threads/thread_1/messages",
        "list_messages answer: a list labelled 'thread.run.step' (the API says 'list'); "
        "first at live.yaml: #5 GET /threads/thread_1/messages",
        "create_run: asked to stream, answered without server-sent events; first at live.yaml: "
        "#6 POST /threads/thread_1/runs",
    ]


def test_harness_conformance_exits_1_on_deviations_and_0_when_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean, deviating = tmp_path / "clean.yaml", tmp_path / "deviating.yaml"
    write_cassette(clean, Cassette(interactions=[_get_run(RUN)]))
    write_cassette(deviating, Cassette(interactions=[_get_run({**RUN, "status": 7})]))
    assert main(["conformance", str(clean)]) == 0
    assert "no deviation from the API" in capsys.readouterr().out
    assert main(["conformance", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "get_run answer: /status:" in out and "deviating.yaml: #1" in out
    assert main(["conformance", str(tmp_path / "missing.yaml")]) == 2


def test_a_live_recording_ends_with_the_servers_deviations(
    pytester: pytest.Pytester, echo_backend: Any
) -> None:
    pytester.makepyfile(
        test_app="""
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    openai_client.beta.threads.runs.retrieve("run_1", thread_id="thread_1")
"""
    )
    result = pytester.runpytest("--record", "--record-backend=live")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "the live server deviated from the API in * ways (`harness conformance CASSETTE...` "
            "lists them again):",
            "  get_run answer: /: required field 'status' is missing (in *test_app.yaml: #1 GET "
            "/threads/thread_1/runs/run_1)",
        ]
    )


def test_what_the_real_api_itself_did_is_not_a_deviation() -> None:
    # Over REST the real API left a message's status fields out; it sent a response's user
    # and usage as null: the spec's complaints about those are how the API behaved.
    rest_message = {
        k: v
        for k, v in MESSAGE.items()
        if k not in ("status", "incomplete_details", "completed_at", "incomplete_at")
    }
    cassette = Cassette(interactions=[_messages([rest_message])])
    assert check(cassette, "real.yaml") == []
    no_model = {k: v for k, v in rest_message.items() if k != "role"}
    assert [d.kind for d in check(Cassette(interactions=[_messages([no_model])]), "x")] == [
        "list_messages answer: /data/[]: required field 'role' is missing"
    ]
