"""Protocol invariants: they hold on good traffic and bite on every kind of mutation."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from harness.api import RUN_STATUSES, TERMINAL_RUN_STATUSES
from harness.cassette.format import dumps, loads
from harness.cassette.model import Cassette, Interaction
from harness.errors import InvariantError
from harness.invariants import assert_invariants, check, reachable
from harness.transcript import transcript
from tests.transcript.transcript_synth import Synth, conversation, find, stream_run

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "cassettes/synthetic.yaml"


def _with(cassette: Cassette, index: int, **changes: Any) -> Cassette:
    items = list(cassette.interactions)
    items[index] = dataclasses.replace(items[index], **changes)
    return Cassette(meta=cassette.meta, interactions=items)


def _body(interaction: Interaction, **changes: Any) -> Any:
    return dataclasses.replace(interaction.response, body={**interaction.response.body, **changes})


def _messages(cassette: Cassette) -> list[str]:
    return [str(v) for v in check(cassette, source=SOURCE)]


def _stream_index(cassette: Cassette) -> int:
    return next(n for n, i in enumerate(cassette.interactions) if i.response.events)


def _with_events(cassette: Cassette, events: list[dict[str, Any]]) -> Cassette:
    index = _stream_index(cassette)
    response = dataclasses.replace(cassette.interactions[index].response, events=tuple(events))
    return _with(cassette, index, response=response)


def test_good_traffic_has_no_violations() -> None:
    assert check(conversation()) == []
    assert check(conversation(seed="q", polls=0, queued_polls=0)) == []
    assert_invariants(conversation())


@pytest.mark.parametrize(
    ("start", "goal", "gates", "legal"),
    [
        ("queued", "in_progress", (), True),
        ("queued", "completed", (), True),  # in_progress went unobserved
        ("in_progress", "requires_action", (), True),
        ("requires_action", "queued", (), False),  # needs a submit
        ("requires_action", "queued", ("submit",), True),
        ("requires_action", "completed", ("submit",), True),
        ("requires_action", "completed", (), False),
        ("requires_action", "expired", (), True),
        ("in_progress", "cancelling", (), False),  # nobody asked
        ("in_progress", "cancelled", ("cancel",), True),
        ("cancelling", "completed", (), True),  # cancellation is not guaranteed
        ("completed", "in_progress", (), False),
        ("failed", "queued", ("submit", "cancel"), False),
        ("expired", "expired", (), True),
    ],
)
def test_reachable_rule(start: str, goal: str, gates: tuple[str, ...], legal: bool) -> None:
    assert reachable(start, goal, frozenset(gates)) is legal


def test_the_state_machine_covers_the_api_statuses() -> None:
    gates = frozenset({"submit", "cancel"})
    for start in RUN_STATUSES:
        reached = {goal for goal in RUN_STATUSES if reachable(start, goal, gates)}
        if start in TERMINAL_RUN_STATUSES:
            assert reached == {start}, f"{start} is terminal: nothing leaves it"
        else:
            # every live run can still end, one way or another
            assert reached & TERMINAL_RUN_STATUSES, start
        if start != "queued":
            assert reachable("queued", start, gates), f"{start} is never reached"
    hint = check(_terminal_then_queued(), source=SOURCE)
    assert [v.message.endswith("(completed is terminal)") for v in hint] == [True]


def _terminal_then_queued() -> Cassette:
    s = Synth("t")
    thread, run = s.id("thread_"), s.id("run_")
    path = f"/threads/{thread}/runs/{run}"
    for status in ("completed", "queued"):
        s.add("GET", path, None, {"id": run, "object": "thread.run", "status": status})
    return s.cassette()


def test_illegal_transition_names_cassette_run_and_transition() -> None:
    cassette = conversation()
    t = transcript(cassette)
    real = t.real_id("run_1")
    done = find(cassette, "GET", "/runs/", 2)  # run_1's completed poll
    assert cassette.interactions[done].response.body["status"] == "completed"
    late = dataclasses.replace(
        cassette.interactions[done],
        response=_body(cassette.interactions[done], status="in_progress"),
    )
    items = list(cassette.interactions)
    items.insert(done + 1, late)
    violations = _messages(Cassette(meta=cassette.meta, interactions=items))
    assert violations == [
        f"{SOURCE}: interaction {done + 2}: Assistants API: run run_1 ({real}): illegal transition "
        "completed -> in_progress (completed is terminal)"
    ]


def test_leaving_requires_action_without_submit_is_flagged() -> None:
    cassette = conversation()
    submit = find(cassette, "POST", "/submit_tool_outputs")
    items = [i for n, i in enumerate(cassette.interactions) if n != submit]
    violations = _messages(Cassette(meta=cassette.meta, interactions=items))
    assert len(violations) == 1
    assert "run run_2 (" in violations[0]
    assert "illegal transition requires_action -> in_progress" in violations[0]
    assert "no accepted submit_tool_outputs in between" in violations[0]


def test_dropping_a_tool_output_is_flagged() -> None:
    cassette = conversation()
    submit = find(cassette, "POST", "/submit_tool_outputs")
    request = cassette.interactions[submit].request
    body = dict(request.body, tool_outputs=request.body["tool_outputs"][:1])
    mutated = _with(cassette, submit, request=dataclasses.replace(request, body=body))
    violations = _messages(mutated)
    assert len(violations) == 1
    assert "submit_tool_outputs accepted with outputs for [call_1]" in violations[0]
    assert "required [call_1, call_2] (missing call_2)" in violations[0]
    # the snapshot view shows it too
    before = transcript(cassette).to_data()["runs"][1]["submissions"]
    after = transcript(mutated).to_data()["runs"][1]["submissions"]
    assert before != after


def test_a_rejected_submit_is_the_api_doing_its_job() -> None:
    cassette = conversation()
    submit = find(cassette, "POST", "/submit_tool_outputs")
    request = cassette.interactions[submit].request
    bad = dataclasses.replace(
        request, body=dict(request.body, tool_outputs=request.body["tool_outputs"][:1])
    )
    error = {
        "error": {
            "message": "Expected tool outputs for call_ids [...]",
            "type": "invalid_request_error",
        }
    }
    rejected = Interaction(
        bad, dataclasses.replace(cassette.interactions[submit].response, status=400, body=error)
    )
    items = list(cassette.interactions)
    items.insert(submit, rejected)
    assert check(Cassette(meta=cassette.meta, interactions=items)) == []


def test_swapping_two_listed_messages_is_flagged() -> None:
    cassette = conversation()
    listing = find(cassette, "GET", "/messages")
    body = cassette.interactions[listing].response.body
    swapped = _with(
        cassette, listing, response=_body(cassette.interactions[listing], data=body["data"][::-1])
    )
    violations = _messages(swapped)
    assert len(violations) == 1
    assert "GET /threads/thread_1/messages (order=desc) lists msg_1 (" in violations[0]
    assert "but msg_2 was created after msg_1" in violations[0]
    assert transcript(swapped).to_data() != transcript(cassette).to_data()


def test_cursor_not_honoured_is_flagged() -> None:
    cassette = conversation()
    listing = find(cassette, "GET", "/messages", 1)  # order=asc after=<answer>
    first = cassette.interactions[find(cassette, "GET", "/messages")].response.body["data"]
    body = cassette.interactions[listing].response.body
    # the question (older than the cursor) and the cursor itself leak into the page
    leaked = [first[1], first[0], *body["data"]]
    violations = _messages(
        _with(cassette, listing, response=_body(cassette.interactions[listing], data=leaked))
    )
    assert any("includes its own after cursor msg_2" in v for v in violations)
    assert any(
        "ignores after=msg_2: msg_1 (" in v and "was created before msg_2" in v for v in violations
    )


def test_listing_from_another_thread_and_over_limit() -> None:
    cassette = conversation()
    listing = find(cassette, "GET", "/messages", 2)  # thread_2's listing
    other = cassette.interactions[find(cassette, "GET", "/messages")].response.body["data"][:1]
    interaction = cassette.interactions[listing]
    request = dataclasses.replace(interaction.request, query=(("limit", "1"),))
    data = [*interaction.response.body["data"], *other]
    violations = _messages(
        _with(cassette, listing, request=request, response=_body(interaction, data=data))
    )
    assert any("returns msg_2 (" in v and "of thread thread_1" in v for v in violations)
    assert any("returns 2 items, limit 1" in v for v in violations)


def test_step_referring_to_an_unseen_message_is_flagged() -> None:
    cassette = conversation()
    steps = find(cassette, "GET", "/steps")
    interaction = cassette.interactions[steps]
    data = json.loads(json.dumps(interaction.response.body["data"]))
    data[1]["step_details"]["message_creation"]["message_id"] = "msg_ghost0001"
    violations = _messages(_with(cassette, steps, response=_body(interaction, data=data)))
    assert len(violations) == 1
    assert "step step_2 (" in violations[0]
    assert "created message msg_5 (msg_ghost0001), which no response shows" in violations[0]


def test_reordered_sse_events_are_flagged() -> None:
    cassette = conversation()
    events = list(cassette.interactions[_stream_index(cassette)].response.events or ())
    names = [e["event"] for e in events]
    completed = names.index("thread.message.completed")
    delta = names.index("thread.message.delta")
    moved = [*events[:delta], events[completed], *events[delta:completed], *events[completed + 1 :]]
    mutated = _with_events(cassette, moved)
    violations = _messages(mutated)
    assert violations
    assert all("POST /threads/thread_1/runs stream of run run_3 (" in v for v in violations)
    assert "thread.message.delta for msg_6 (" in violations[0]
    assert "after thread.message.completed" in violations[0]
    assert transcript(mutated).to_data() != transcript(cassette).to_data()


def test_delta_before_created_and_done_not_last() -> None:
    cassette = conversation()
    events = list(cassette.interactions[_stream_index(cassette)].response.events or ())
    names = [e["event"] for e in events]
    created, delta = names.index("thread.message.created"), names.index("thread.message.delta")
    swapped = list(events)
    swapped[created], swapped[delta] = swapped[delta], swapped[created]
    violations = _messages(_with_events(cassette, swapped))
    assert any(
        "thread.message.delta for msg_6 (" in v and "before thread.message.created" in v
        for v in violations
    )
    assert any(
        "thread.message.created for msg_6 (" in v and "after thread.message.delta" in v
        for v in violations
    )
    late = [*events[:-2], events[-1], events[-2]]
    violations = _messages(_with_events(cassette, late))
    assert any("thread.run.completed after done (done must be last)" in v for v in violations)
    violations = _messages(_with_events(cassette, events[:-1]))
    assert any("ends without a done event" in v for v in violations)


def test_run_status_regressing_inside_a_stream_is_flagged() -> None:
    s = Synth("s")
    stream_run(s, "thread_abc", "asst_abc", deltas=1)
    cassette = s.cassette()
    events = list(cassette.interactions[0].response.events or ())
    queued = events[1]
    events.insert(3, queued)  # in_progress -> queued with no submit
    violations = _messages(_with_events(cassette, events))
    assert any("illegal transition in_progress -> queued" in v for v in violations)


def test_assert_invariants_raises_with_one_line_per_violation() -> None:
    cassette = conversation()
    submit = find(cassette, "POST", "/submit_tool_outputs")
    request = cassette.interactions[submit].request
    body = dict(request.body, tool_outputs=[])
    mutated = _with(cassette, submit, request=dataclasses.replace(request, body=body))
    with pytest.raises(InvariantError) as info:
        assert_invariants(mutated, source="x.yaml")
    lines = str(info.value).splitlines()
    assert lines[0] == "1 Assistants API protocol violation(s):"
    assert lines[1].startswith("  x.yaml: interaction ")
    assert ": Assistants API: run run_" in lines[1]
    assert isinstance(info.value, AssertionError)


def _committed_cassettes() -> list[Path]:
    return sorted(
        p for p in (ROOT / "cassettes").rglob("*.yaml") if not p.name.endswith(".failed.yaml")
    )


@pytest.mark.parametrize(
    "path",
    _committed_cassettes()
    or [
        pytest.param(
            None, marks=pytest.mark.skip(reason="no committed cassettes under cassettes/ yet")
        )
    ],
    ids=lambda p: str(p.relative_to(ROOT)) if isinstance(p, Path) else "none",
)
def test_every_committed_cassette_keeps_the_invariants(path: Path) -> None:
    cassette = loads(path.read_text(encoding="utf-8"), str(path))
    assert cassette.interactions, f"{path}: empty cassette"
    assert_invariants(cassette, source=str(path.relative_to(ROOT)))


def test_cassettes_roundtrip_through_the_file_format() -> None:
    cassette = conversation()
    again = loads(dumps(cassette), SOURCE)
    assert transcript(again).to_data(detail=True) == transcript(cassette).to_data(detail=True) | {
        "source": "<cassette>"
    }
