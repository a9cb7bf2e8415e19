"""Drift of recorded tool calls against the current tool schemas."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from harness.cassette import format as cassette_format
from harness.cassette.model import Cassette, Interaction, Request, Response
from harness.fuzz import Drift, assert_no_drift, check_recorded_calls, recorded_calls
from tests.fuzz._fuzz_data import DISPLAY_QUIZ
from tests.fuzz._quiz_conversation import (
    CALL_ID,
    polling_app,
    polling_script,
    record,
    step,
    streaming_app,
    streaming_script,
)


@pytest.fixture(scope="module")
def cassettes() -> dict[str, Cassette]:
    return {
        "polling": record(polling_app(), polling_script()),
        "streaming": record(streaming_app(), streaming_script()),
    }


def renamed_enum() -> dict[str, Any]:
    tool = copy.deepcopy(DISPLAY_QUIZ)
    items = tool["parameters"]["properties"]["questions"]["items"]
    items["properties"]["question_type"]["enum"] = ["MCQ", "FREE_RESPONSE"]
    return tool


def test_current_schema_fits_the_recorded_calls(cassettes: dict[str, Cassette]) -> None:
    assert check_recorded_calls(cassettes.values(), [DISPLAY_QUIZ]) == []
    assert_no_drift(
        list(cassettes.values()), {"display_quiz": {"type": "function", "function": DISPLAY_QUIZ}}
    )


def test_calls_are_found_once_in_bodies_and_events(cassettes: dict[str, Cassette]) -> None:
    [polled] = recorded_calls(cassettes["polling"], "p.yaml")
    assert (polled.call_id, polled.name, polled.where) == (
        CALL_ID,
        "display_quiz",
        "interaction 3 response body",
    )
    [streamed] = recorded_calls(cassettes["streaming"], "s.yaml")
    assert streamed.where == "interaction 1 event 6 (thread.run.requires_action)"


def test_a_schema_change_that_rejects_recorded_arguments_is_reported(
    tmp_path: Path, cassettes: dict[str, Cassette]
) -> None:
    path = tmp_path / "display_quiz.yaml"
    path.write_text(cassette_format.dumps(cassettes["polling"]), encoding="utf-8")
    [drift] = check_recorded_calls([path], [renamed_enum()])
    assert drift.cassette == str(path)
    assert (drift.call_id, drift.tool, drift.pointer) == (
        CALL_ID,
        "display_quiz",
        "/questions/1/question_type",
    )
    assert drift.schema_pointer == "/properties/questions/items/properties/question_type/enum"
    assert "'MULTIPLE_CHOICE' is not one of ['MCQ', 'FREE_RESPONSE']" in drift.message
    with pytest.raises(AssertionError) as caught:
        assert_no_drift([path], [renamed_enum()])
    message = str(caught.value)
    assert f"{path}: call {CALL_ID} (display_quiz)" in message
    assert "/questions/1/question_type" in message


def test_a_newly_required_key_is_reported_at_the_object(cassettes: dict[str, Cassette]) -> None:
    tool = copy.deepcopy(DISPLAY_QUIZ)
    tool["parameters"]["required"].append("difficulty")
    drifts = check_recorded_calls([("stream.yaml", cassettes["streaming"])], [tool])
    assert [(d.cassette, d.pointer, d.schema_pointer) for d in drifts] == [
        ("stream.yaml", "/", "/required")
    ]
    assert "'difficulty' is a required property" in drifts[0].message


def test_run_step_lists_unknown_tools_and_broken_json() -> None:
    listed = step("completed", '{"title": 1}')
    listed["step_details"]["tool_calls"].append(
        {
            "id": "call_other",
            "type": "function",
            "function": {"name": "gone", "arguments": "{}", "output": "x"},
        }
    )
    listed["step_details"]["tool_calls"].append(
        {
            "id": "call_cut",
            "type": "function",
            "function": {"name": "display_quiz", "arguments": '{"title": "', "output": None},
        }
    )
    listed["step_details"]["tool_calls"].append(
        {"id": "ci_1", "type": "code_interpreter", "code_interpreter": {}}
    )
    cassette = Cassette(
        meta={"name": "steps.yaml"},
        interactions=[
            Interaction(
                Request("GET", "/threads/t/runs/r/steps"),
                Response(200, {}, {"object": "list", "data": [listed], "has_more": False}),
            )
        ],
    )
    drifts = check_recorded_calls([cassette], [DISPLAY_QUIZ])
    by_call = {d.call_id: d for d in drifts if d.call_id != CALL_ID}
    assert by_call["call_other"].message == "no current tool is named 'gone'"
    assert by_call["call_cut"].message.startswith("arguments are not JSON")
    mine = [d for d in drifts if d.call_id == CALL_ID]
    assert {d.pointer for d in mine} == {"/", "/title"}  # questions missing, title not a string
    assert all(isinstance(d, Drift) and str(d).startswith("steps.yaml: call ") for d in drifts)
    assert [
        d.call_id for d in check_recorded_calls([cassette], [DISPLAY_QUIZ], unknown_tools=False)
    ].count("call_other") == 0
