"""The brain document's `model` section and the `harness emulator --model` flags: one-line
errors that never repeat a key, `describe()`, and a standalone emulator asking a model."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from harness.cli import main
from harness.emulator import BRAIN_SCHEMA, BrainError, EmulatorServer, load_brain
from tests.emulator.model.conftest import planted_key
from tests.support.chat_server import ChatServer, completion

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

URL = "http://127.0.0.1:9/v1"
KEY = planted_key()


@pytest.mark.parametrize(
    ("model", "error"),
    [
        ({"base_url": URL, "model": "m", "api_key": KEY}, "brain model.api_key: a key never goes"),
        (
            {"base_url": URL, "model": "m", "api_key_env": KEY},
            "brain model.api_key_env: expected the name",
        ),
        (
            {"base_url": f"http://me:{KEY}@127.0.0.1/v1", "model": "m"},
            "brain model.base_url: give scheme",
        ),
        ({"base_url": f"{URL}?key={KEY}", "model": "m"}, "brain model.base_url: give scheme"),
        (
            {"base_url": "ftp://127.0.0.1", "model": "m"},
            "brain model.base_url: expected an http://",
        ),
        ({"base_url": URL}, "brain model: 'model' is a required property"),
        (
            {"base_url": URL, "model": "m", "temperature": 3},
            "brain model.temperature: 3 is greater",
        ),
        (
            {"base_url": URL, "model": "m", "timeout": 0},
            "brain model.timeout: 0 is less than or equal",
        ),
        ({"base_url": URL, "model": "m", "sede": 1}, "brain model: Additional properties"),
        ("gpt-4o", "brain model: expected an object with base_url and model"),
    ],
)
def test_bad_model_sections_give_one_line_without_the_key(model: Any, error: str) -> None:
    with pytest.raises(BrainError) as info:
        load_brain({"model": model})
    message = str(info.value)
    assert message.startswith(error), message
    assert "\n" not in message and KEY not in message
    assert not Draft202012Validator(BRAIN_SCHEMA).is_valid({"model": model})


def test_documents_load_from_files_and_describe_themselves(tmp_path: Path) -> None:
    path = tmp_path / "brain.yaml"
    path.write_text(
        "rules:\n  - match: {message: ping}\n    actions: [{say: pong}]\n"
        "model:\n  base_url: http://127.0.0.1:8080/v1\n  model: llama3\n"
        "  api_key_env: LOCAL_API_KEY\n  temperature: 0\n  seed: 3\n",
        encoding="utf-8",
    )
    brain = load_brain(path)
    assert len(brain.rules) == 1 and brain.model is not None
    assert (brain.model.temperature, brain.model.seed, brain.model.timeout) == (0, 3, 60.0)
    assert brain.model.url == "http://127.0.0.1:8080/v1/chat/completions"
    assert brain.describe() == "rules, then model llama3 at 127.0.0.1:8080"
    assert load_brain(
        {"model": {"base_url": "https://api.example.test/v1", "model": "m"}}
    ).describe() == ("model m at api.example.test")
    assert load_brain(None).describe() == load_brain([]).describe() == "defaults"
    Draft202012Validator(BRAIN_SCHEMA).validate(
        {"rules": [], "model": {"base_url": URL, "model": "m", "api_key_env": "K_API_KEY"}}
    )
    path.write_text("model: {base_url: ftp://x, model: m}\n", encoding="utf-8")
    with pytest.raises(BrainError, match=rf"^{path}: brain model.base_url: expected"):
        load_brain(path)


def test_put_brain_refuses_any_model_section(emulator: EmulatorServer) -> None:
    url = emulator.url + "/_emulator/brain"
    answer = httpx.put(
        url,
        json={"model": {"base_url": URL, "model": "m", "api_key": KEY}},
        headers=emulator.control_headers,
    )
    assert answer.status_code == 400
    assert KEY not in answer.text
    assert answer.json()["error"]["message"].startswith("brain.model: the model brain is set only")


@pytest.mark.parametrize(
    ("flags", "error"),
    [
        (["--model", "m"], "--model needs --model-base-url URL"),
        (["--model-seed", "3"], "the --model-* options need --model NAME"),
        (["--model", "m", "--model-base-url", "ftp://x"], "--model-base-url: expected an http://"),
        (
            ["--model", "m", "--model-base-url", URL, "--model-key-env", KEY],
            "--model-key-env: expected the name",
        ),
    ],
)
def test_model_flags_are_checked_before_serving(
    flags: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["emulator", "--port", "0", *flags]) == 2
    err = capsys.readouterr().err
    assert err == f"harness emulator: {error}" + err.split(error, 1)[1]
    assert err.count("\n") == 1 and KEY not in err


def test_harness_emulator_with_a_model_answers_through_it(chat: ChatServer) -> None:
    chat.script(completion("Hello from the model."))
    env = {**os.environ, "MY_MODEL_API_KEY": KEY}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "emulator",
            "--port",
            "0",
            "--model",
            "cli-model",
            "--model-base-url",
            chat.base_url,
            "--model-key-env",
            "MY_MODEL_API_KEY",
            "--model-seed",
            "11",
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        base = line.split("serving ")[1].split(" ")[0]
        _wait_healthy(base.removesuffix("/v1"))
        from openai import OpenAI

        with OpenAI(base_url=base, api_key="sk-test", max_retries=0) as client:
            assistant = client.beta.assistants.create(model="gpt-4o")
            thread = client.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
            run = client.beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant.id
            )
            assert run.status == "completed"
            text = client.beta.threads.messages.list(thread.id).data[0].content[0].text.value
        assert text == "Hello from the model."
        (sent,) = chat.received
        assert (sent.body["model"], sent.body["seed"]) == ("cli-model", 11)
        assert sent.headers["authorization"] == f"Bearer {KEY}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_healthy(base: str) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            urllib.request.urlopen(base + "/_emulator/health", timeout=2)
        except urllib.error.HTTPError as exc:
            assert exc.code == 401  # serving: control needs the token it printed
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
