"""A Responses transcript (input items, status paths, output items, conversations, aliases) and
the Responses invariants, over cassettes recorded through the plugin from the loopback server."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cassette.storage import read_cassette
from harness.errors import InvariantError
from harness.invariants import assert_invariants, check
from harness.transcript import transcript
from tests.support.responses_server import record_app

APP = """
import pytest

WEATHER = {"type": "function", "name": "get_weather", "strict": True, "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}},
    "required": ["city"], "additionalProperties": False}}

@pytest.mark.assistants_cassette
def test_tools(openai_client):
    asked = openai_client.responses.create(model="m", input="weather?", tools=[WEATHER])
    call = asked.output[0]
    openai_client.responses.create(
        model="m", previous_response_id=asked.id, tools=[WEATHER],
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}],
    )

@pytest.mark.assistants_cassette
def test_background(openai_client):
    response = openai_client.responses.create(model="m", input="think", background=True)
    while response.status in ("queued", "in_progress"):
        response = openai_client.responses.retrieve(response.id)
    other = openai_client.responses.create(model="m", input="stop", background=True)
    openai_client.responses.cancel(other.id)

@pytest.mark.assistants_cassette
def test_conversation(openai_client):
    conversation = openai_client.conversations.create(items=[{"role": "user", "content": "hi"}])
    openai_client.responses.create(model="m", input="again", conversation=conversation.id)
    events = list(openai_client.responses.create(model="m", input="streamed", stream=True))
    assert events
"""


@pytest.fixture(scope="module")
def cassettes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("responses_transcript")
    return record_app(APP, folder, calls={"get_weather": {"city": "Paris"}})


def _data(path: Path) -> dict[str, object]:
    return transcript(read_cassette(path), source=path.name).to_data()


def test_a_tool_chain_reads_as_input_statuses_and_output_items(
    cassettes: dict[str, Path],
) -> None:
    data = _data(cassettes["test_tools"])
    assert data["responses"] == [
        {
            "id": "resp_1",
            "tools": ["get_weather"],
            "input": [{"type": "message", "role": "user", "text": "weather?"}],
            "statuses": ["completed"],
            "output": [
                {
                    "type": "function_call",
                    "call": "call_1",
                    "name": "get_weather",
                    "arguments": {"city": "Paris"},
                }
            ],
        },
        {
            "id": "resp_2",
            "previous": "resp_1",
            "tools": ["get_weather"],
            "input": [{"type": "function_call_output", "call": "call_1", "output": "sunny"}],
            "statuses": ["completed"],
            "output": [{"type": "message", "role": "assistant", "text": "The tool said: sunny"}],
        },
    ]
    assert check(read_cassette(cassettes["test_tools"])) == []


def test_background_status_paths_and_conversation_items(cassettes: dict[str, Path]) -> None:
    background = _data(cassettes["test_background"])["responses"]
    assert [r["statuses"] for r in background] == [  # type: ignore[index]
        ["queued", "in_progress", "completed"],
        ["queued", "cancelled"],
    ]
    data = _data(cassettes["test_conversation"])
    [conversation] = data["conversations"]  # type: ignore[misc]
    assert conversation["id"] == "conv_1" and conversation["lifecycle"] == ["created"]
    assert [(i["role"], i["text"]) for i in conversation["items"]] == [
        ("user", "hi"),
        ("user", "again"),
        ("assistant", "You said: again"),
    ]
    assert data["responses"][0]["conversation"] == "conv_1"  # type: ignore[index]
    for path in cassettes.values():
        assert check(read_cassette(path)) == []


def test_the_transcript_command_shows_responses(cassettes: dict[str, Path]) -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "harness.cli", "transcript", str(cassettes["test_tools"])],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(shown.stdout)
    assert [r["id"] for r in data["responses"]] == ["resp_1", "resp_2"]
    assert data["ids"]["resp_1"].startswith("resp_0")


def _tampered(path: Path, tmp_path: Path, old: str, new: str) -> list[str]:
    text = path.read_text()
    assert old in text, old
    changed = tmp_path / path.name
    changed.write_text(text.replace(old, new, 1))
    return [str(v) for v in check(read_cassette(changed))]


def test_an_output_for_an_unknown_call_is_flagged(
    cassettes: dict[str, Path], tmp_path: Path
) -> None:
    found = _tampered(
        cassettes["test_tools"],
        tmp_path,
        '"type": "function_call_output",\n            "call_id": "call_0001"',
        '"type": "function_call_output",\n            "call_id": "call_9"',
    )
    assert any("function_call_output for call_2 (call_9)" in v for v in found), found
    assert any(
        "continues resp_1, which called [call_1]" in v and "missing call_1" in v for v in found
    )


def test_a_previous_response_that_never_was_is_flagged(
    cassettes: dict[str, Path], tmp_path: Path
) -> None:
    found = _tampered(
        cassettes["test_tools"],
        tmp_path,
        '"previous_response_id": "resp_0001"',
        '"previous_response_id": "resp_0077"',
    )
    assert any(
        "previous_response_id resp_2 (resp_0077) names no earlier response" in v for v in found
    ), found


def test_a_gap_in_sequence_numbers_is_flagged(cassettes: dict[str, Path], tmp_path: Path) -> None:
    found = _tampered(
        cassettes["test_conversation"], tmp_path, '"sequence_number": 3,', '"sequence_number": 5,'
    )
    assert any("sequence_number 5 where 3 was due" in v for v in found), found


def test_a_cancelled_response_without_a_cancel_is_flagged(
    cassettes: dict[str, Path], tmp_path: Path
) -> None:
    text = cassettes["test_background"].read_text()
    # the finished response, as a later poll shows it, claims to have been cancelled
    found = _tampered(
        cassettes["test_background"], tmp_path, '"status": "completed"', '"status": "cancelled"'
    )
    assert '"status": "completed"' in text
    assert any(
        "response resp_1: illegal transition in_progress -> cancelled" in v for v in found
    ), found


def _with_stream(path: Path, tmp_path: Path, change: object) -> list[str]:
    """The violations of the cassette at `path` once `change` rewrote its stream's events."""
    cassette = read_cassette(path)
    [index] = [i for i, x in enumerate(cassette.interactions) if x.response.events]
    interaction = cassette.interactions[index]
    events = change(list(interaction.response.events or ()))  # type: ignore[operator]
    response = dataclasses.replace(interaction.response, events=tuple(events))
    cassette.interactions[index] = dataclasses.replace(interaction, response=response)
    return [str(v) for v in check(cassette, source="c.yaml")]


def test_a_responses_stream_ends_with_the_responses_end_not_done(
    cassettes: dict[str, Path], tmp_path: Path
) -> None:
    path = cassettes["test_conversation"]
    assert _with_stream(path, tmp_path, lambda events: events) == []
    cut = _with_stream(path, tmp_path, lambda events: events[:-1])
    assert len(cut) == 1 and cut[0].startswith("c.yaml: interaction "), cut
    assert "Responses API: POST /responses stream: ends with response.output_item.done, " in cut[0]
    assert cut[0].endswith("not with response.completed | response.failed | response.incomplete")
    done = {"event": "done", "data": "[DONE]"}
    after = _with_stream(path, tmp_path, lambda events: [*events, done])
    assert any("done after response.completed (which ends it)" in v for v in after), after


def test_each_violation_names_the_api_whose_rule_it_is(
    cassettes: dict[str, Path], tmp_path: Path
) -> None:
    found = _tampered(
        cassettes["test_conversation"], tmp_path, '"sequence_number": 3,', '"sequence_number": 5,'
    )
    assert found and all(": Responses API: " in v for v in found), found
    with pytest.raises(InvariantError) as info:
        assert_invariants(read_cassette(tmp_path / cassettes["test_conversation"].name))
    assert str(info.value).splitlines()[0] == "1 Responses API protocol violation(s):"
