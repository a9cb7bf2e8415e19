"""The brain: rule loading (one-line errors), matching, templates, defaults, determinism."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from harness.emulator import BRAIN_SCHEMA, BrainError, load_brain
from harness.emulator.engine.brain import RunContext, example_for

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def ctx(
    message: str = "hi",
    tools: tuple[dict[str, Any], ...] = (),
    choice: Any = "auto",
    stores: bool = False,
) -> RunContext:
    return RunContext(message, "Tutor", tools, choice, stores)


@pytest.mark.parametrize(
    ("rules", "error"),
    [
        (
            [{"actions": [{"sya": "x"}]}],
            "brain rules[0].actions[0]: Additional properties are not allowed ('sya' was unexpected)",
        ),
        (
            [{"actions": [{"wait": "long"}]}],
            "brain rules[0].actions[0].wait: 'long' is not of type 'number'",
        ),
        (
            [{"match": {"message": "("}, "actions": []}],
            "brain rules[0].match.message: invalid regular expression",
        ),
        (
            [{"actions": [{"say": "{{nope}}"}]}],
            "brain rules[0].actions[0].say: unknown placeholder {{nope}}",
        ),
        (
            [
                {
                    "actions": [
                        {"call": {"name": "create_ticket", "arguments": {}}},
                        {"say": "Done: {{outputs.create_tiket}}"},
                    ]
                }
            ],
            "brain rules[0].actions[1].say: {{outputs.create_tiket}} names a function this "
            "rule does not call (it calls create_ticket)",
        ),
        (
            [{"actions": [{"call": {"name": "f", "arguments": "{bad"}}]}],
            "brain rules[0].actions[0].call[0].arguments: not valid JSON",
        ),
        ({"rulez": []}, "brain: expected a list of rules"),
        ([{"match": {}}], "brain rules[0]: 'actions' is a required property"),
        ([{"actions": [{"say": "a", "wait": 1}]}], "brain rules[0].actions[0]:"),
        ("not-a-list", "brain file not-a-list: cannot read"),
    ],
)
def test_bad_rules_give_one_line(rules: Any, error: str) -> None:
    with pytest.raises(BrainError) as info:
        load_brain(rules)
    assert str(info.value).startswith(error), str(info.value)
    assert "\n" not in str(info.value)


def test_schema_is_valid_and_accepts_the_documented_example() -> None:
    Draft202012Validator.check_schema(BRAIN_SCHEMA)
    example = {
        "rules": [
            {
                "name": "quiz",
                "match": {"message": "(?i)quiz", "assistant": "^Math", "tools": ["display_quiz"]},
                "expires_in": 0.3,
                "actions": [
                    {
                        "call": [
                            {"name": "display_quiz", "arguments": {"title": "Q", "questions": []}}
                        ]
                    },
                    {"code": "print(1)"},
                    {"search": "GPT-2"},
                    {"say": "Feedback: {{outputs.display_quiz}}"},
                    {"wait": 1.5},
                    {"fail": {"code": "server_error", "message": "boom"}},
                    {"incomplete": "max_completion_tokens"},
                ],
            }
        ]
    }
    Draft202012Validator(BRAIN_SCHEMA).validate(example)
    assert len(load_brain(example).rules) == 1


def test_yaml_file_and_matching(tmp_path: Path) -> None:
    path = tmp_path / "brain.yaml"
    path.write_text(
        "rules:\n"
        "  - match: {message: '(?i)weather', tools: [get_weather]}\n"
        "    actions:\n"
        "      - call: {name: get_weather, arguments: {city: Paris}}\n"
        "  - match: {assistant: '^Pirate'}\n"
        "    actions: [{say: 'Arr: {{message}}'}]\n",
        encoding="utf-8",
    )
    brain = load_brain(str(path))
    weather = {"type": "function", "function": {"name": "get_weather"}}
    plan = brain.plan(ctx("What's the WEATHER?", (weather,)))
    assert plan.actions[0].kind == "call" and json.loads(plan.actions[0].calls[0].arguments) == {
        "city": "Paris"
    }
    assert brain.plan(ctx("What's the weather?")).actions[0].kind == "say"  # tool missing: no match
    pirate = RunContext("hello", "Pirate Pete", (), "auto", False)
    assert brain.plan(pirate).actions[0].text == "Arr: {{message}}"
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [", encoding="utf-8")
    with pytest.raises(BrainError, match="not valid JSON or YAML"):
        load_brain(broken)


def test_defaults() -> None:
    brain = load_brain(None)
    assert brain.plan(ctx("hello there")).actions[0].text == 'You said: "hello there"'
    code = {"type": "code_interpreter"}
    fenced = "run this\n```python\nprint(2 + 2)\n```"
    plan = brain.plan(ctx(fenced, (code,)))
    assert [a.kind for a in plan.actions] == ["code", "say"] and plan.actions[
        0
    ].text == "print(2 + 2)\n"
    assert brain.plan(ctx(fenced)).actions[0].kind == "say"  # no code_interpreter tool
    search = {"type": "file_search"}
    assert brain.plan(ctx("q", (search,), stores=True)).actions[0].kind == "search"
    assert brain.plan(ctx("q", (search,), stores=False)).actions[0].kind == "say"
    fn = {
        "type": "function",
        "function": {
            "name": "f",
            "parameters": {"type": "object", "properties": {"n": {"type": "integer"}}},
        },
    }
    forced = brain.plan(ctx("q", (fn,), {"type": "function", "function": {"name": "f"}}))
    assert forced.actions[0].calls[0].arguments == '{"n":0}'
    assert brain.plan(ctx("q", (code,), "none")).actions[0].kind == "say"


def test_example_for_schema() -> None:
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "kind": {"enum": ["A", "B"]},
            "items": {"type": "array", "items": {"type": "number", "minimum": 2}},
            "flag": {"type": ["boolean", "null"]},
        },
    }
    assert example_for(schema) == {"title": "example", "kind": "A", "items": [2], "flag": False}


def test_put_brain_endpoint(client: Any, emulator: Any) -> None:
    url = emulator.url + "/_emulator/brain"
    bad = httpx.put(url, content=b'[{"actions": [{"wait": "x"}]}]')
    assert bad.status_code == 400
    assert (
        bad.json()["error"]["message"]
        == "brain rules[0].actions[0].wait: 'x' is not of type 'number'"
    )
    ok = httpx.put(url, content=b"- match: {message: ping}\n  actions: [{say: pong}]\n")
    assert ok.status_code == 200 and ok.json()["rules"] == 1
    assistant = client.beta.assistants.create(model="gpt-4o")
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "ping"}]},
        poll_interval_ms=5,
    )
    reply = client.beta.threads.messages.list(thread_id=run.thread_id).data[0]
    assert reply.content[0].text.value == "pong"


def test_same_inputs_same_texts(client: Any, emulator: Any, tmp_path: Path) -> None:
    doc = tmp_path / "d.txt"
    doc.write_text(
        "Alpha beta gamma. Delta epsilon zeta. Gamma rays are energetic.", encoding="utf-8"
    )
    texts = []
    for _ in range(2):
        store = client.vector_stores.create(name="d")
        client.vector_stores.files.upload_and_poll(
            vector_store_id=store.id, file=doc.open("rb"), poll_interval_ms=5
        )
        assistant = client.beta.assistants.create(
            model="gpt-4o",
            tools=[{"type": "file_search"}, {"type": "code_interpreter"}],
            tool_resources={"file_search": {"vector_store_ids": [store.id]}},
        )
        run = client.beta.threads.create_and_run_poll(
            assistant_id=assistant.id,
            thread={"messages": [{"role": "user", "content": "tell me about gamma"}]},
            poll_interval_ms=5,
        )
        msg = client.beta.threads.messages.list(thread_id=run.thread_id).data[0]
        texts.append(msg.content[0].text.model_dump())
    texts = [
        {
            **t,
            "annotations": [
                {k: v for k, v in a.items() if k != "file_citation"} for a in t["annotations"]
            ],
        }
        for t in texts
    ]
    assert texts[0] == texts[1]
