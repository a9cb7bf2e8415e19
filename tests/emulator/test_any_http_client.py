"""`harness emulator` serves both APIs to any HTTP client: curl and Node's `fetch` drive a
Responses function-call loop, a streamed response and a conversation, and an assistant."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulator.test_emulator_command import Emulator, emulator

RULES = [
    {
        "match": {"message": "(?i)weather", "tools": ["get_weather"]},
        "actions": [
            {"call": {"name": "get_weather", "arguments": {"city": "Paris"}}},
            {"say": "It is {{outputs.get_weather}}."},
        ],
    }
]
TOOL = {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}
NODE_SCRIPT = """
const base = process.argv[2];
const headers = {"Authorization": "Bearer sk-local", "Content-Type": "application/json"};
const post = async (path, body) =>
  (await fetch(base + path, {method: "POST", headers, body: JSON.stringify(body)})).json();
const tool = {type: "function", name: "get_weather", parameters: {type: "object"}};
const first = await post("/v1/responses", {model: "gpt-4o", input: "weather?", tools: [tool]});
const call = first.output[0];
const second = await post("/v1/responses", {model: "gpt-4o", previous_response_id: first.id,
  tools: [tool], input: [{type: "function_call_output", call_id: call.call_id, output: "mild"}]});
const stream = await fetch(base + "/v1/responses", {method: "POST", headers,
  body: JSON.stringify({model: "gpt-4o", input: "hi", stream: true})});
const events = (await stream.text()).split("\\n").filter(l => l.startsWith("event: "));
console.log(JSON.stringify({call: call.name, text: second.output[0].content[0].text,
  first: events[0], last: events[events.length - 1]}));
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """`harness emulator --brain` for both clients (each makes its own objects)."""
    brain = tmp_path_factory.mktemp("brain") / "brain.json"
    brain.write_text(json.dumps(RULES))
    with emulator("--brain", str(brain)) as running:
        yield running


def _curl(*args: str) -> str:
    done = subprocess.run(
        ["curl", "-sS", "-H", "Authorization: Bearer sk-local", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_curl_drives_both_apis(server: Emulator) -> None:
    post = ["-H", "Content-Type: application/json", "-X", "POST"]
    body = {"model": "gpt-4o", "input": "weather?", "tools": [TOOL]}
    first = json.loads(_curl(*post, server.url + "/v1/responses", "-d", json.dumps(body)))
    call = first["output"][0]
    assert call["type"] == "function_call" and call["name"] == "get_weather"
    answer = {"type": "function_call_output", "call_id": call["call_id"], "output": "warm"}
    body = {"model": "gpt-4o", "previous_response_id": first["id"], "input": [answer]}
    second = json.loads(_curl(*post, server.url + "/v1/responses", "-d", json.dumps(body)))
    assert second["output"][0]["content"][0]["text"] == "It is warm."
    streamed = _curl(
        *post,
        server.url + "/v1/responses",
        "-N",
        "-d",
        '{"model":"m","input":"hi","stream":true}',
    )
    names = [line[7:] for line in streamed.splitlines() if line.startswith("event: ")]
    assert names[0] == "response.created" and names[-1] == "response.completed"
    conversation = json.loads(_curl(*post, server.url + "/v1/conversations", "-d", "{}"))
    assert conversation["id"].startswith("conv_")
    assistant = json.loads(
        _curl(
            *post,
            server.url + "/v1/assistants",
            "-H",
            "OpenAI-Beta: assistants=v2",
            "-d",
            '{"model":"gpt-4o"}',
        )
    )
    assert assistant["id"].startswith("asst_")


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_node_fetch_runs_a_function_loop(server: Emulator, tmp_path: Path) -> None:
    script = tmp_path / "client.mjs"
    script.write_text(NODE_SCRIPT)
    done = subprocess.run(
        ["node", str(script), server.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result == {
        "call": "get_weather",
        "text": "It is mild.",
        "first": "event: response.created",
        "last": "event: response.completed",
    }
