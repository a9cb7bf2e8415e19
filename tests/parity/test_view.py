"""The conversation view of Responses recordings however the port holds its conversation
(previous_response_id, a Conversations API conversation, the whole history re-sent), streamed
or not, and of shapes it does not know; the differences' wording and escaping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cassette.model import Cassette, Interaction, Request, Response
from harness.cassette.storage import write_cassette
from harness.cli import main
from harness.parity import compare, view
from harness.parity.render import code_span, visible

QUESTION = "What is 2 + 2?"
FOLLOW_UP = "And 3 + 3?"


def post(path: str, body: Any, answer: Any, status: int = 200) -> Interaction:
    return Interaction(Request("POST", path, body=body), Response(status, body=answer))


def response(ident: str, output: list[Any], status: str = "completed", **extra: Any) -> Any:
    return {
        "id": ident,
        "object": "response",
        "status": status,
        "instructions": "Be brief.",
        "tools": [],
        "output": output,
        **extra,
    }


def said(text: str, annotations: list[Any] | None = None) -> Any:
    content = [{"type": "output_text", "text": text, "annotations": annotations or []}]
    return {"type": "message", "id": "msg_x", "role": "assistant", "content": content}


def chain() -> Cassette:
    """Two turns linked by previous_response_id."""
    return Cassette(
        interactions=[
            post(
                "/responses",
                {"input": QUESTION, "instructions": "Be brief."},
                response("resp_1", [said("4")]),
            ),
            post(
                "/responses",
                {"input": FOLLOW_UP, "instructions": "Be brief.", "previous_response_id": "resp_1"},
                response("resp_2", [said("6")]),
            ),
        ]
    )


def test_a_conversations_api_port_reads_as_a_chain_does() -> None:
    cassette = Cassette(
        interactions=[
            post("/conversations", {}, {"id": "conv_1", "object": "conversation"}),
            post(
                "/responses",
                {"input": [{"role": "user", "content": QUESTION}], "conversation": "conv_1"},
                response("resp_1", [said("4")]),
            ),
            post(
                "/responses",
                {
                    "input": [
                        {"role": "user", "content": [{"type": "input_text", "text": FOLLOW_UP}]}
                    ],
                    "conversation": {"id": "conv_1"},
                },
                response("resp_2", [said("6")]),
            ),
        ]
    )
    assert compare(view(chain()), view(cassette)) == []
    assert len(view(cassette).conversations[0].turns) == 2


def test_a_port_that_resends_the_whole_history_reads_as_a_chain_does() -> None:
    history = [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": FOLLOW_UP},
    ]
    cassette = Cassette(
        interactions=[
            post(
                "/responses",
                {"input": history[:1], "store": False},
                response("resp_1", [said("4")]),
            ),
            post("/responses", {"input": history, "store": False}, response("resp_2", [said("6")])),
        ]
    )
    assert compare(view(chain()), view(cassette)) == []


def test_a_streamed_response_reads_as_a_plain_one() -> None:
    final = response("resp_1", [said("4")])
    events = (
        {
            "event": "response.created",
            "data": {
                "type": "response.created",
                "response": {**final, "status": "in_progress", "output": []},
            },
        },
        {
            "event": "response.output_text.delta",
            "data": {"type": "response.output_text.delta", "delta": "4"},
        },
        {"event": "response.completed", "data": {"type": "response.completed", "response": final}},
    )
    streamed = Interaction(
        Request("POST", "/responses", body={"input": QUESTION, "stream": True}),
        Response(200, events=events),
    )
    plain = post("/responses", {"input": QUESTION}, final)
    assert (
        compare(view(Cassette(interactions=[plain])), view(Cassette(interactions=[streamed]))) == []
    )


def test_shapes_it_does_not_know_are_shown_not_fatal() -> None:
    cassette = Cassette(
        interactions=[
            post(
                "/responses",
                {"input": [{"type": "mystery_input"}, "not an item"]},
                response("resp_1", [{"type": "hologram"}, said("4"), 7], tools="nonsense"),
            ),
            post("/responses", "garbage", ["not", "a", "response"]),
            Interaction(Request("GET", "/responses/resp_1"), Response(200, text="<html>")),
            post("/threads/thread_1/runs", None, {"object": "thread.run", "id": None, "status": 5}),
        ]
    )
    seen = view(cassette)
    assert "output item hologram" in seen.unknown
    assert "input item mystery_input" in seen.unknown
    answers = [a.text for c in seen.conversations for t in c.turns for a in t.answers]
    assert answers == ["4"]


@pytest.mark.parametrize(
    ("final", "ending"),
    [
        ({"status": "failed", "error": {"code": "server_error"}}, "failed (server_error)"),
        (
            {"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}},
            "incomplete (max_output_tokens)",
        ),
        ({"status": "cancelled"}, "cancelled"),
        ({"status": "in_progress"}, "unfinished"),
    ],
)
def test_how_a_turn_ended(final: dict[str, Any], ending: str) -> None:
    cassette = Cassette(
        interactions=[post("/responses", {"input": QUESTION}, {**response("r", []), **final})]
    )
    assert str(view(cassette).conversations[0].turns[0].ending) == ending


def test_a_refused_request_ends_its_turn() -> None:
    error = {
        "error": {"message": "No tool output found", "type": "invalid_request_error", "code": None}
    }
    cassette = Cassette(interactions=[post("/responses", {"input": QUESTION}, error, status=400)])
    assert (
        str(view(cassette).conversations[0].turns[0].ending)
        == "refused (HTTP 400 invalid_request_error)"
    )


def calls(*names: str) -> Cassette:
    output = [
        {"type": "function_call", "call_id": f"c{i}", "name": n, "arguments": json.dumps({"n": i})}
        for i, n in enumerate(names)
    ]
    tools = [{"type": "function", "name": n} for n in names]
    return Cassette(
        interactions=[
            post(
                "/responses",
                {"input": QUESTION, "tools": tools},
                response("r", output, tools=tools),
            )
        ]
    )


def test_tool_call_order_counts_unless_accepted() -> None:
    found = compare(view(calls("a", "b")), view(calls("b", "a")))
    assert [d.aspect for d in found] == ["arguments", "arguments", "call_order"]
    # with arguments equal, only the order differs; accepting it leaves nothing
    same_args = Cassette(
        interactions=[
            post(
                "/responses",
                {"input": QUESTION},
                response(
                    "r",
                    [
                        {
                            "type": "function_call",
                            "call_id": "c1",
                            "name": "b",
                            "arguments": '{"n": 1}',
                        },
                        {
                            "type": "function_call",
                            "call_id": "c0",
                            "name": "a",
                            "arguments": '{"n": 0}',
                        },
                    ],
                ),
            )
        ]
    )
    first = Cassette(
        interactions=[
            post(
                "/responses",
                {"input": QUESTION},
                response(
                    "r",
                    [
                        {
                            "type": "function_call",
                            "call_id": "c0",
                            "name": "a",
                            "arguments": '{"n": 0}',
                        },
                        {
                            "type": "function_call",
                            "call_id": "c1",
                            "name": "b",
                            "arguments": '{"n": 1}',
                        },
                    ],
                ),
            )
        ]
    )
    assert [d.aspect for d in compare(view(first), view(same_args))] == ["call_order"]
    assert compare(view(first), view(same_args), accept=["call_order"]) == []


def test_accepted_wording_still_counts_citations() -> None:
    cited = [{"type": "file_citation", "file_id": "file-1", "filename": "notes.md", "index": 1}]
    old = Cassette(
        interactions=[
            post("/responses", {"input": QUESTION}, response("r", [said("Four.", cited)]))
        ]
    )
    new = Cassette(
        interactions=[post("/responses", {"input": QUESTION}, response("r", [said("It is 4.")]))]
    )
    found = compare(view(old), view(new), accept=["wording"])
    assert [d.message for d in found] == [
        "turn 1: the answer cited notes.md before, and nothing now"
    ]


def test_recorded_text_is_escaped_for_the_terminal_and_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = "\x1b[2J\x1b]0;owned\x07 ``tick`` \u202eevil"
    old = tmp_path / "old.yaml"
    new = tmp_path / "new.yaml"
    write_cassette(
        old,
        Cassette(
            interactions=[post("/responses", {"input": QUESTION}, response("r", [said("4")]))]
        ),
    )
    write_cassette(
        new,
        Cassette(
            interactions=[post("/responses", {"input": QUESTION}, response("r", [said(hostile)]))]
        ),
    )
    assert main(["parity", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\u001b[2J" in out and "\\u202eevil" in out
    assert main(["parity", str(old), str(new), "--format", "markdown"]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "``` " in out  # the span's fence is longer than the value's own backtick runs


def test_code_spans_and_visible_text() -> None:
    assert code_span("a`b") == "``a`b``"
    assert code_span("`x`") == "`` `x` ``"
    assert visible("line\nnext\ttab\x00") == "line\\nnext\\ttab\\u0000"


def ev(name: str, data: Any) -> dict[str, Any]:
    return {"event": name, "data": data}


def test_a_live_shaped_assistants_recording_holds_the_same_conversation_as_its_port() -> None:
    """The shapes the real API sent before the shutdown (not the emulator's): a thread created
    and run in one streamed request, the `source` citation marker, delta events, unknown
    fields; and a real-shaped Responses port with reasoning and file search items."""
    question = "What does the document say about matrices?"
    answer = "Gaussian elimination reduces a matrix to row echelon form."
    marker = "【4:0†source】"
    run = {
        "id": "run_abc",
        "object": "thread.run",
        "thread_id": "thread_abc",
        "status": "queued",
        "instructions": "Be brief.",
        "tools": [{"type": "file_search"}],
        "truncation_strategy": {"type": "auto"},
        "reasoning_effort": None,
        "last_error": None,
    }
    step = {
        "id": "step_1",
        "object": "thread.run.step",
        "run_id": "run_abc",
        "type": "tool_calls",
        "step_details": {
            "type": "tool_calls",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "file_search",
                    "file_search": {"ranking_options": {}, "results": []},
                }
            ],
        },
    }
    message = {
        "id": "msg_1",
        "object": "thread.message",
        "thread_id": "thread_abc",
        "run_id": "run_abc",
        "role": "assistant",
        "status": "completed",
        "created_at": 1717000000,
        "content": [
            {
                "type": "text",
                "text": {
                    "value": answer + marker,
                    "annotations": [
                        {
                            "type": "file_citation",
                            "text": marker,
                            "start_index": len(answer),
                            "end_index": len(answer) + len(marker),
                            "file_citation": {"file_id": "file-9"},
                        }
                    ],
                },
            }
        ],
    }
    old = Cassette(
        interactions=[
            post(
                "/files",
                None,
                {"id": "file-9", "object": "file", "filename": "notes.md", "purpose": "assistants"},
            ),
            Interaction(
                Request(
                    "POST",
                    "/threads/runs",
                    body={
                        "assistant_id": "asst_1",
                        "stream": True,
                        "thread": {"messages": [{"role": "user", "content": question}]},
                    },
                ),
                Response(
                    200,
                    events=(
                        ev("thread.created", {"id": "thread_abc", "object": "thread"}),
                        ev("thread.run.created", run),
                        ev("thread.run.in_progress", {**run, "status": "in_progress"}),
                        ev("thread.run.step.created", {**step, "status": "in_progress"}),
                        ev("thread.run.step.completed", {**step, "status": "completed"}),
                        ev(
                            "thread.message.created",
                            {**message, "status": "in_progress", "content": []},
                        ),
                        ev(
                            "thread.message.delta",
                            {
                                "id": "msg_1",
                                "object": "thread.message.delta",
                                "delta": {
                                    "content": [
                                        {"index": 0, "type": "text", "text": {"value": "Gauss"}}
                                    ]
                                },
                            },
                        ),
                        ev("thread.message.completed", message),
                        ev("thread.run.completed", {**run, "status": "completed"}),
                        ev("done", "[DONE]"),
                    ),
                ),
            ),
        ]
    )
    cited = [
        {"type": "file_citation", "file_id": "file-9", "filename": "notes.md", "index": len(answer)}
    ]
    new = Cassette(
        interactions=[
            post(
                "/responses",
                {
                    "input": question,
                    "instructions": "Be brief.",
                    "tools": [{"type": "file_search", "vector_store_ids": ["vs_1"]}],
                },
                response(
                    "resp_1",
                    [
                        {"type": "reasoning", "id": "rs_1", "summary": []},
                        {
                            "type": "file_search_call",
                            "id": "fs_1",
                            "status": "completed",
                            "queries": ["matrices"],
                        },
                        said(answer, cited),
                    ],
                    tools=[{"type": "file_search", "vector_store_ids": ["vs_1"]}],
                ),
            )
        ]
    )
    assert compare(view(old), view(new)) == []
    turn = view(old).conversations[0].turns[0]
    assert [c.kind for c in turn.calls] == ["file_search"]
    assert turn.answers[0].text == answer
    assert [c.file for c in turn.answers[0].citations] == ["notes.md"]
