"""Cassette -> transcript: aliases, collapsed timelines, the snapshot view's stability."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness import api
from harness.cassette.format import dumps
from harness.cassette.model import Cassette, Interaction, Request, Response
from harness.transcript import load, transcript
from tests.transcript.transcript_synth import Synth, conversation


def test_ids_become_aliases_by_kind_and_first_appearance() -> None:
    cassette = conversation()
    t = transcript(cassette)
    data = t.to_data()
    text = json.dumps(data)
    for real in t.aliases:
        assert real not in text, f"real id {real} leaked into the snapshot view"
    assert [r["id"] for r in data["runs"]] == ["run_1", "run_2", "run_3"]
    assert [a["id"] for a in data["assistants"]] == ["asst_1", "asst_2"]
    assert data["runs"][1]["required_actions"][0][0]["id"] == "call_1"
    # an id inside a message text is aliased too
    assert data["messages"][1]["text"] == "Sure! x = 1. (run run_1)"
    assert t.real_id("run_1") == next(r for r, a in t.aliases.items() if a == "run_1")


def test_status_timeline_collapses_polls_and_keeps_counts_in_detail() -> None:
    t = transcript(conversation(polls=3))
    view = t.to_data()["runs"][0]["statuses"]
    assert view == ["queued", "in_progress", "completed"]
    detail = t.to_data(detail=True)["runs"][0]["statuses"]
    # create answer + 1 queued poll, 3 in_progress polls, 1 completed poll
    assert detail == [["queued", 2], ["in_progress", 3], ["completed", 1]]
    run2 = t.to_data()["runs"][1]["statuses"]
    assert run2 == [
        "queued",
        "in_progress",
        "requires_action",
        "queued",
        "in_progress",
        "completed",
    ]


def test_rerecording_with_new_ids_timestamps_and_poll_counts_gives_an_equal_view() -> None:
    first = transcript(conversation(seed="a", polls=3, start=1_700_000_000))
    again = transcript(conversation(seed="zz", polls=9, start=1_800_000_123, queued_polls=0))
    assert first.aliases.keys() != again.aliases.keys()
    assert first.to_data() == again.to_data()
    assert first.to_data(detail=True) != again.to_data(detail=True)


def test_dropping_the_only_in_progress_poll_changes_the_view() -> None:
    cassette = conversation(polls=1)
    gone = _first_in_progress(cassette)
    items = [i for i in cassette.interactions if i is not gone]
    mutated = Cassette(meta=cassette.meta, interactions=items)
    before = transcript(cassette).to_data()["runs"][0]["statuses"]
    after = transcript(mutated).to_data()["runs"][0]["statuses"]
    assert before == ["queued", "in_progress", "completed"]
    assert after == ["queued", "completed"]


def _first_in_progress(cassette: Cassette) -> Interaction:
    return next(
        i
        for i in cassette.interactions
        if i.request.method == "GET" and (i.response.body or {}).get("status") == "in_progress"
    )


def test_steps_tool_calls_and_submissions() -> None:
    run = transcript(conversation()).to_data()["runs"][1]
    assert run["submissions"] == [
        {"outputs": [{"call": "call_1", "output": ["4"]}, {"call": "call_2", "output": "none"}]}
    ]
    tool_step, message_step = run["steps"]
    assert tool_step["type"] == "tool_calls"
    assert tool_step["tool_calls"][0]["arguments"]["title"] == "Quiz"
    assert tool_step["tool_calls"][0]["output"] == ["4"]
    assert message_step == {
        "id": "step_2",
        "type": "message_creation",
        "statuses": ["completed"],
        "message": "msg_5",
    }


def test_listings_keep_order_and_query() -> None:
    listings = transcript(conversation()).to_data()["listings"]
    assert [i["id"] for i in listings[0]["items"]] == ["msg_2", "msg_1"]
    assert "query" not in listings[0]
    assert listings[1]["query"] == {"order": "asc", "after": "msg_2"}
    assert listings[2]["kind"] == "steps"


def test_stream_events_collapse_deltas_but_keep_order() -> None:
    t = transcript(conversation())
    events = t.to_data()["streams"][0]["events"]
    assert events.count("thread.message.delta") == 1
    assert events.index("thread.message.created") < events.index("thread.message.delta")
    assert events[-1] == "done"
    detail = t.to_data(detail=True)["streams"][0]["events"]
    assert ["thread.message.delta", 3] in detail
    assert t.streams[0].run == "run_3"
    assert t.run("run_3").statuses[-1].status == "completed"


def test_usage_only_when_asked() -> None:
    assert "usage" not in transcript(conversation()).to_data()["runs"][0]
    run = transcript(conversation(), usage=True).to_data()["runs"][0]
    assert run["usage"] == {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70}


def test_errors_files_and_vector_stores() -> None:
    s = Synth("e")
    file_id, vs_id, thread_id = s.id("file-"), s.id("vs_"), s.id("thread_")
    s.add(
        "POST",
        "/files",
        None,
        {
            "id": file_id,
            "object": "file",
            "filename": "notes.md",
            "purpose": "assistants",
            "bytes": 9,
        },
    )
    s.add(
        "POST",
        "/vector_stores",
        {"name": "Notes"},
        {"id": vs_id, "object": "vector_store", "name": "Notes", "status": "completed"},
    )
    vs_file = {"id": file_id, "object": "vector_store.file", "vector_store_id": vs_id}
    s.add(
        "POST",
        f"/vector_stores/{vs_id}/files",
        {"file_id": file_id},
        dict(vs_file, status="in_progress"),
    )
    s.add(
        "GET",
        f"/vector_stores/{vs_id}/files/{file_id}",
        None,
        dict(vs_file, status="in_progress"),
        repeat=2,
    )
    s.add("GET", f"/vector_stores/{vs_id}/files/{file_id}", None, dict(vs_file, status="completed"))
    s.add(
        "DELETE",
        f"/vector_stores/{vs_id}",
        None,
        {"id": vs_id, "object": "vector_store.deleted", "deleted": True},
    )
    s.add("POST", "/threads", {}, {"id": thread_id, "object": "thread", "created_at": 1})
    s.add(
        "DELETE",
        f"/threads/{thread_id}",
        None,
        {"id": thread_id, "object": "thread.deleted", "deleted": True},
    )
    error = {
        "message": f"No thread found with id '{thread_id}'.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    s.add("GET", f"/threads/{thread_id}", None, {"error": error}, status=404)
    data = transcript(s.cassette()).to_data()
    assert data["files"] == [
        {"id": "file_1", "filename": "notes.md", "purpose": "assistants", "lifecycle": ["created"]}
    ]
    assert data["vector_stores"] == [
        {
            "id": "vs_1",
            "name": "Notes",
            "lifecycle": ["created", "file_added file_1", "deleted"],
            "statuses": ["completed"],
            "files": {"file_1": ["in_progress", "completed"]},
        }
    ]
    assert data["threads"] == [{"id": "thread_1", "lifecycle": ["created", "deleted"]}]
    assert data["errors"] == [
        {
            "request": "GET /threads/thread_1",
            "status": 404,
            "type": "invalid_request_error",
            "code": None,
            "message": "No thread found with id 'thread_1'.",
        }
    ]
    assert data["requests"][-1] == "GET /threads/thread_1 -> 404"


def test_to_json_of_a_loaded_cassette_file_has_the_detail_view(tmp_path: Path) -> None:
    path = tmp_path / "conversation.yaml"
    path.write_text(dumps(conversation()), encoding="utf-8")
    data = json.loads(load(path).to_json())
    assert data["source"] == str(path)
    assert data["runs"][0]["statuses"] == [["queued", 2], ["in_progress", 3], ["completed", 1]]
    assert data["ids"]["run_1"].startswith("run_")
    assert load(path).to_data() == transcript(conversation()).to_data()


def test_non_json_and_unknown_shapes_do_not_crash() -> None:
    cassette = Cassette(
        interactions=[
            Interaction(Request("GET", "/files/file-abc/content"), Response(200, text="raw bytes")),
            Interaction(Request("POST", "/weird"), Response(500, text="upstream exploded")),
            Interaction(
                Request("GET", "/threads/thread_x/messages"), Response(200, body={"object": "list"})
            ),
        ]
    )
    data = transcript(cassette).to_data()
    assert data["requests"][0] == "GET /files/file_1/content"
    assert data["errors"][0]["message"] == "upstream exploded"


# --- requests are read through the operation table ------------------------------------

_KIND_PREFIX = {"assistant": "asst_", "thread": "thread_", "file": "file-", "vector_store": "vs_"}


def _lifecycle_cases() -> list[tuple[str, str, str]]:
    """(operation, resource kind, lifecycle entry) for every create/modify/delete of a resource."""
    cases = []
    for op in api.operations():
        verb, _, kind = op.name.partition("_")
        if kind in _KIND_PREFIX and verb in ("create", "modify", "delete"):
            entry = {"create": "created", "modify": "modified", "delete": "deleted"}[verb]
            cases.append((op.name, kind, entry))
    return cases


@pytest.mark.parametrize(("name", "kind", "entry"), _lifecycle_cases())
def test_each_resource_operation_joins_the_lifecycle(name: str, kind: str, entry: str) -> None:
    s = Synth("life")
    real = s.id(_KIND_PREFIX[kind])
    op = api.operation(name)
    answer = {"id": real, "object": kind}
    if op.name.startswith("delete_"):
        answer = {"id": real, "object": f"{kind}.deleted", "deleted": True}
    s.add(op.method, op.render(**{p: real for p in op.params}), {}, answer)
    s.add(op.method, op.render(**{p: real for p in op.params}), {}, {"error": {}}, status=500)
    data = transcript(s.cassette()).to_data()
    (resource,) = data[f"{kind}s"]
    assert resource["id"] == f"{_KIND_PREFIX[kind].rstrip('_-')}_1"
    assert resource["lifecycle"][-1] == entry  # and the failed repeat adds nothing


def test_file_batches_and_vector_store_files_join_the_store() -> None:
    s = Synth("vs")
    store, one, two = s.id("vs_"), s.id("file-"), s.id("file-")
    s.add("POST", "/vector_stores", {}, {"id": store, "object": "vector_store", "status": "ok"})
    s.add(
        "POST", f"/vector_stores/{store}/file_batches", {"file_ids": [one, two]}, {"id": "vsfb_x"}
    )
    s.add("DELETE", f"/vector_stores/{store}/files/{one}", None, {"id": one, "deleted": True})
    data = transcript(s.cassette()).to_data()
    assert data["vector_stores"][0]["lifecycle"] == [
        "created",
        "file_added file_1",
        "file_added file_2",
        "file_removed file_1",
    ]
    # a literal segment of the path is never taken for an id (`file_batches` starts like one)
    assert data["requests"][1] == "POST /vector_stores/vs_1/file_batches"


def test_cancel_and_submit_count_whatever_the_answer() -> None:
    s = Synth("c")
    thread, run = s.id("thread_"), s.id("run_")
    s.add("POST", f"/threads/{thread}/runs/{run}/cancel", None, {"error": {}}, status=400)
    outputs = {"tool_outputs": [{"tool_call_id": "call_x1", "output": "1"}]}
    s.add("POST", f"/threads/{thread}/runs/{run}/submit_tool_outputs", outputs, None, status=400)
    (timeline,) = transcript(s.cassette()).runs
    assert [(e.kind, e.http_status) for e in timeline.events] == [("cancel", 400), ("submit", 400)]
    assert timeline.submissions[0].http_status == 400


def _with_unmatched(cassette: Cassette) -> Cassette:
    """`cassette` with requests no operation matches, carrying ids and objects, in between."""
    strange = [
        Interaction(
            Request("GET", "/threads/thread_zz9/runs/run_zz9/diagnostics"),
            Response(200, body={"id": "run_zz9", "object": "thread.run", "status": "failed"}),
        ),
        Interaction(
            Request("POST", "/chat/completions", body={"assistant_id": "asst_zz9"}),
            Response(200, events=({"event": "x", "data": {"id": "msg_zz9"}},)),
        ),
        Interaction(
            Request("GET", "/models"),
            Response(200, body={"object": "list", "data": [{"id": "asst_zz8"}]}),
        ),
    ]
    items = list(cassette.interactions)
    for index, extra in zip((2, 9, 20), strange, strict=True):
        items.insert(index, extra)
    return Cassette(meta=cassette.meta, interactions=items)


def _lines(requests: list[Any]) -> list[str]:
    lines = [r[0] if isinstance(r, list) else r for r in requests]
    return [line for n, line in enumerate(lines) if n == 0 or lines[n - 1] != line]


def test_a_request_no_operation_matches_is_listed_and_tells_nothing_else() -> None:
    plain = transcript(conversation()).to_data(detail=True)
    mixed = transcript(_with_unmatched(conversation())).to_data(detail=True)
    strange = {
        "GET /threads/thread_zz9/runs/run_zz9/diagnostics",
        "POST /chat/completions",
        "GET /models",
    }
    lines = _lines(mixed.pop("requests"))
    assert strange <= set(lines)
    assert _lines([line for line in lines if line not in strange]) == _lines(plain.pop("requests"))
    assert mixed == plain  # no alias, run, message, stream or resource came from them
