"""Contract testing, drift and argument-mutation replay accept Responses function tools (the flat
`{"type": "function", "name", "parameters", "strict"}` shape) and recorded `function_call` items,
streamed or not. The cassettes are recorded through the plugin from the loopback Responses
server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.cassette.model import Cassette
from harness.cassette.storage import read_cassette
from harness.fuzz import (
    assert_dispatch_contract,
    assert_tool_contract,
    check_recorded_calls,
    mutate_arguments,
    pending_calls,
)
from tests.support.responses_server import record_app

WEATHER: dict[str, Any] = {
    "type": "function",
    "name": "get_weather",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
        "required": ["city", "days"],
        "additionalProperties": False,
    },
    "strict": True,
}
WEATHER_CALL = {"city": "Paris", "days": 3}
APP = f"""
import json
import pytest

WEATHER = {WEATHER!r}

def forecast(city, days):
    return f"{{city}}: sunny for {{days}} days"

def conversation(client, stream):
    if stream:
        with client.responses.stream(model="m", input="weather?", tools=[WEATHER]) as events:
            asked = events.get_final_response()
    else:
        asked = client.responses.create(model="m", input="weather?", tools=[WEATHER])
    outputs = []
    for item in asked.output:
        if item.type == "function_call":
            try:
                output = forecast(**json.loads(item.arguments))
            except (ValueError, TypeError) as exc:
                output = f"error: {{exc}}"
            outputs.append({{"type": "function_call_output", "call_id": item.call_id, "output": output}})
    return client.responses.create(
        model="m", previous_response_id=asked.id, tools=[WEATHER], input=outputs
    )

@pytest.mark.assistants_cassette
def test_plain(openai_client):
    conversation(openai_client, stream=False)

@pytest.mark.assistants_cassette
def test_streamed(openai_client):
    conversation(openai_client, stream=True)
"""


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Cassette]:
    paths = record_app(
        APP, tmp_path_factory.mktemp("responses_calls"), calls={"get_weather": WEATHER_CALL}
    )
    return {name: read_cassette(path) for name, path in paths.items()}


def _load_app() -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(APP, "test_app.py", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("name", ["test_plain", "test_streamed"])
def test_recorded_function_calls_are_pending_and_fit_the_schema(
    recorded: dict[str, Cassette], name: str
) -> None:
    [call] = pending_calls(recorded[name])
    assert (call.name, json.loads(call.arguments)) == ("get_weather", {"city": "Paris", "days": 3})
    assert call.api == "responses" and call.run_id.startswith("resp_")
    assert [t["name"] for t in call.tools] == ["get_weather"]
    assert check_recorded_calls([(name, recorded[name])], [WEATHER]) == []


def test_drift_names_a_call_todays_schema_rejects(recorded: dict[str, Cassette]) -> None:
    renamed = json.loads(json.dumps(WEATHER))
    renamed["parameters"]["properties"]["city"] = {"type": "string", "enum": ["London"]}
    drifts = check_recorded_calls([("s.yaml", recorded["test_streamed"])], [renamed])
    assert [(d.tool, d.pointer) for d in drifts] == [("get_weather", "/city")]


def test_mutated_arguments_reach_every_copy_of_the_call(recorded: dict[str, Cassette]) -> None:
    cassette = recorded["test_streamed"]
    [call] = pending_calls(cassette)
    changed = mutate_arguments(cassette, call.call_id, '{"city": "Oslo", "days": 9}')
    [again] = pending_calls(changed)
    assert again.arguments == '{"city": "Oslo", "days": 9}'
    events = [e["data"] for i in changed.interactions for e in i.response.events or ()]
    deltas = [e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta"]
    assert "".join(deltas) == '{"city": "Oslo", "days": 9}'
    done = [e for e in events if e["type"] == "response.function_call_arguments.done"]
    assert [e["arguments"] for e in done] == ['{"city": "Oslo", "days": 9}']


@pytest.mark.parametrize("name", ["test_plain", "test_streamed"])
def test_dispatch_contract_replays_a_responses_conversation(
    recorded: dict[str, Cassette], name: str
) -> None:
    app = _load_app()
    stream = name == "test_streamed"
    # The SDK's stream helper parses a strict tool's arguments itself (and raises on malformed
    # JSON before the app sees them), so the streamed twin is fuzzed with valid arguments only.
    assert_dispatch_contract(
        lambda client: app["conversation"](client, stream),
        recorded[name],
        arguments="valid" if stream else "both",
        max_examples=15,
    )


def test_dispatch_contract_finds_an_app_that_breaks_on_other_arguments(
    recorded: dict[str, Cassette],
) -> None:
    def fragile(client: Any) -> None:
        asked = client.responses.create(model="m", input="weather?", tools=[WEATHER])
        call = asked.output[0]
        days = json.loads(call.arguments)["days"]  # KeyError / JSON errors on bad arguments
        client.responses.create(
            model="m",
            previous_response_id=asked.id,
            tools=[WEATHER],
            input=[{"type": "function_call_output", "call_id": call.call_id, "output": str(days)}],
        )

    with pytest.raises(AssertionError, match="the app broke when the model called get_weather"):
        assert_dispatch_contract(
            fragile, recorded["test_plain"], arguments="invalid", max_examples=30
        )


def test_tool_contract_takes_the_flat_strict_shape() -> None:
    def forecast(city: str, days: int) -> str:
        if not isinstance(city, str) or type(days) is not int or days < 1:
            raise ValueError("bad arguments")
        return f"{city}: {days}"

    def careless(city: str, days: int) -> str:
        return f"{city}: {days}"

    assert_tool_contract(forecast, WEATHER, max_examples=20)
    with pytest.raises(AssertionError, match="get_weather: tool contract broken on invalid"):
        assert_tool_contract(careless, WEATHER, max_examples=20)
