"""Bad answers and bad endpoints: each fails the run with a `last_error` that says what
happened, in one line, quickly, without a traceback and without the key."""

from __future__ import annotations

import base64
import dataclasses
import logging
import time
import urllib.parse
from typing import Any

import pytest

from harness.emulator import BrainError, EmulatorServer
from tests.emulator.helpers import FAST
from tests.emulator.model.conftest import KEY_ENV, planted_key
from tests.emulator.model.test_translation import WEATHER, ask
from tests.support.chat_server import (
    Answer,
    ChatServer,
    Hang,
    Raw,
    call,
    closed_port,
    completion,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def error_body(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": None}}


@pytest.mark.parametrize(
    ("answer", "code", "says"),
    [
        (
            Answer(error_body("Rate limit reached for test-model"), 429),
            "rate_limit_exceeded",
            "answered 429",
        ),
        (
            Answer(error_body("The server had an error"), 500),
            "server_error",
            "answered 500: The server had an error",
        ),
        (Answer("upstream exploded", 502), "server_error", "answered 502: upstream exploded"),
        (
            Answer(error_body(f"Incorrect API key provided: {planted_key()}."), 401),
            "server_error",
            "answered 401 (check the key in the variable named by model.api_key_env): "
            "Incorrect API key provided: ***.",
        ),
        (
            completion(refusal="I can't help with that."),
            "server_error",
            "The model refused: I can't help with that.",
        ),
        (
            completion(calls=[call("call_1", "launch_rockets", "{}")]),
            "server_error",
            "The model called tool 'launch_rockets', which the run does not have (its tools: get_weather, code_interpreter).",
        ),
        (
            completion(calls=[call("call_1", "get_weather", '{"city": "Oslo"')]),
            "server_error",
            "The model sent arguments for 'get_weather' that are not valid JSON: '{\"city\": \"Oslo\"'",
        ),
        (
            completion(calls=[call("call_1", "code_interpreter", '{"source": "1"}')]),
            "server_error",
            "The model called 'code_interpreter' without a string 'code' argument.",
        ),
        (Answer([1, 2, 3]), "server_error", "answered with a non-object"),
    ],
    ids=[
        "429",
        "500",
        "502-text",
        "401",
        "refusal",
        "unknown-tool",
        "bad-json",
        "bad-builtin-args",
        "not-an-object",
    ],
)
def test_bad_answers_fail_the_run(
    client: Any,
    modelled: EmulatorServer,
    chat: ChatServer,
    caplog: pytest.LogCaptureFixture,
    answer: Answer,
    code: str,
    says: str,
) -> None:
    chat.script(answer)
    _, run = ask(client, "Weather?", tools=[WEATHER, {"type": "code_interpreter"}])
    assert run.status == "failed"
    assert run.last_error.code == code
    assert says in run.last_error.message
    assert "\n" not in run.last_error.message
    assert planted_key() not in run.last_error.message
    assert run.failed_at is not None and run.required_action is None
    assert len(chat.received) == 1  # no retries hidden from the recording
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("where", ["closed-port", "hang", "no-key"])
def test_unreachable_endpoints_fail_quickly(
    client: Any,
    emulator: EmulatorServer,
    chat: ChatServer,
    model_doc: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    where: str,
) -> None:
    monkeypatch.setenv(KEY_ENV, planted_key())
    doc = {**model_doc, "timeout": 0.5}
    if where == "closed-port":
        doc["base_url"] = f"http://127.0.0.1:{closed_port()}/v1"
    elif where == "hang":
        chat.script(Hang(3))
    else:
        monkeypatch.delenv(KEY_ENV)
    emulator.set_brain({"model": doc})
    started = time.monotonic()
    _, run = ask(client, "Anyone there?")
    assert time.monotonic() - started < 2.5
    assert run.status == "failed"
    assert run.last_error.code == "server_error"
    message = run.last_error.message
    expected = {
        "closed-port": "Cannot reach the model endpoint at 127.0.0.1:",
        "hang": "did not answer within 0.5 s (model.timeout)",
        "no-key": "The model brain's key is read from the variable named by model.api_key_env, "
        "which is not set.",
    }[where]
    assert expected in message
    assert "\n" not in message
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "encode",
    [
        lambda k: k.encode().hex(),
        lambda k: k.encode().hex().upper(),
        lambda k: base64.b64encode(k.encode()).decode(),
        lambda k: "".join(f"\\u{ord(c):04x}" for c in k),
        lambda k: urllib.parse.quote(k, safe=""),
    ],
    ids=["hex", "HEX", "base64", "json-escaped", "percent"],
)
def test_a_key_the_endpoint_echoes_in_any_encoding_stays_out_of_the_run(
    client: Any, modelled: EmulatorServer, chat: ChatServer, encode: Any
) -> None:
    chat.script(Answer(error_body(f"key {encode(planted_key())} is not valid"), 401))
    _, run = ask(client, "Weather?")
    assert run.status == "failed"
    assert encode(planted_key()) not in run.last_error.message
    assert "key *** is not valid" in run.last_error.message


def test_a_token_pasted_as_api_key_env_is_never_echoed(
    client: Any, emulator: EmulatorServer, model_doc: dict[str, Any]
) -> None:
    pasted = "ghp_" + "Zq81" * 9  # a GitHub token where the variable's NAME belongs
    # Refused when the brain is loaded (not a *_API_KEY name), without repeating it.
    with pytest.raises(BrainError) as refused:
        emulator.set_brain({"model": {**model_doc, "api_key_env": pasted}})
    assert "api_key_env" in str(refused.value)
    assert pasted not in str(refused.value) and pasted[4:16] not in str(refused.value)


def test_a_model_that_only_calls_tools_still_ends(
    client: Any, modelled: EmulatorServer, chat: ChatServer
) -> None:
    search = call("call_s", "file_search", '{"query": "anything"}')
    chat.script(*[completion(calls=[search]) for _ in range(25)])
    _, run = ask(client, "Loop forever", tools=[{"type": "file_search"}])
    assert run.status == "failed"
    assert (
        run.last_error.message == "The model answered 20 times in one run, calling tools each time."
    )
    assert len(chat.received) == 20


def test_stopping_the_emulator_does_not_wait_for_the_model(
    chat: ChatServer, model_doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from openai import OpenAI

    monkeypatch.setenv(KEY_ENV, planted_key())
    chat.script(Hang(60))  # far beyond what a loaded machine adds to a prompt stop
    options = dataclasses.replace(FAST, observe_hold=0.0)  # no waiting for a poll to see it
    server = EmulatorServer({"model": {**model_doc, "timeout": 60}}, options=options).start()
    try:
        with OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0) as client:
            assistant = client.beta.assistants.create(model="gpt-4o")
            thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
            client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
        deadline = time.monotonic() + 5
        while not chat.received and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(chat.received) == 1  # the model is thinking
    finally:
        started = time.monotonic()
        server.stop()
    assert time.monotonic() - started < 8


def _deep(depth: int = 100_000) -> bytes:
    return b'{"choices": ' + b"[" * depth + b"]" * depth + b"}"


def _sse(*payloads: bytes) -> bytes:
    return b"".join(b"data: " + p + b"\n\n" for p in payloads) + b"data: [DONE]\n\n"


_MALFORMED = [
    ("deep-json", Raw(_deep()), "answered with JSON nested too deeply to read"),
    (
        "nan-usage",
        Raw(b'{"choices": [], "usage": {"prompt_tokens": NaN, "completion_tokens": 1}}'),
        "answered with NaN, which JSON does not have",
    ),
    (
        "infinite-usage",
        Raw(b'{"choices": [], "usage": {"prompt_tokens": 1e999, "completion_tokens": 1}}'),
        "'usage.prompt_tokens' is inf instead of a count",
    ),
    (
        "string-usage",
        Answer({"choices": [], "usage": {"prompt_tokens": "many", "completion_tokens": 1}}),
        "'usage.prompt_tokens' is the string 'many' instead of a count",
    ),
    ("non-object", Answer("just a string"), "answered with a non-object (str)"),
    ("choices-string", Answer({"choices": "abc"}), "'choices' is the string 'abc' instead"),
    (
        "message-list",
        Answer({"choices": [{"message": [1], "finish_reason": "stop"}]}),
        "'choices[0].message' is a list instead of an object",
    ),
    (
        "tool-calls-number",
        Answer({"choices": [{"message": {"role": "assistant", "tool_calls": 5}}]}),
        "'choices[0].message.tool_calls' is 5 instead of a list",
    ),
    (
        "function-string",
        Answer(
            {"choices": [{"message": {"role": "assistant", "tool_calls": [{"function": "x"}]}}]}
        ),
        "'choices[0].message.tool_calls[0].function' is the string 'x' instead of an object",
    ),
    (
        "html-200",
        Raw(b"<html><body>Welcome to nginx!</body></html>", content_type="text/html"),
        "answered with something that is not JSON: '<html><body>Welcome to nginx!",
    ),
    (
        "stream-deep-chunk",
        Raw(_sse(_deep()), content_type="text/event-stream"),
        "answered with JSON nested too deeply to read",
    ),
    (
        "stream-list-chunk",
        Raw(_sse(b"[1, 2]"), content_type="text/event-stream"),
        "answered with a non-object (list) as a stream chunk",
    ),
    (
        "stream-bad-delta",
        Raw(_sse(b'{"choices": [{"delta": {"content": 7}}]}'), content_type="text/event-stream"),
        "sent a stream chunk whose 'choices[0].delta.content' is 7 instead of a string",
    ),
]


@pytest.mark.parametrize(
    ("answer", "says"), [m[1:] for m in _MALFORMED], ids=[m[0] for m in _MALFORMED]
)
def test_malformed_answers_end_the_run_with_one_line_naming_the_endpoint(
    client: Any,
    modelled: EmulatorServer,
    chat: ChatServer,
    caplog: pytest.LogCaptureFixture,
    answer: Any,
    says: str,
) -> None:
    chat.script(answer)
    if isinstance(answer, Raw) and answer.content_type == "text/event-stream":
        assistant = client.beta.assistants.create(model="gpt-4o", tools=[WEATHER])
        thread = client.beta.threads.create(messages=[{"role": "user", "content": "Weather?"}])
        with client.beta.threads.runs.stream(
            thread_id=thread.id, assistant_id=assistant.id
        ) as events:
            events.until_done()
        run = client.beta.threads.runs.retrieve(events.current_run.id, thread_id=thread.id)
    else:
        _, run = ask(client, "Weather?", tools=[WEATHER])
    assert run.status == "failed"
    message = run.last_error.message
    host = chat.base_url.split("/")[2]
    assert f"The model endpoint at {host} " in message, message
    assert says in message, message
    assert "\n" not in message and "emulator failed" not in message and len(message) < 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
