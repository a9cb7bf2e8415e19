"""The emulator's control plane attacked as a page on a local dev server would (issue 26 §1):
a CORS-simple `text/plain` post from another loopback port, a brain whose `model` points at
the attacker and names `GH_TOKEN` as its key, control requests without the token. Each is
refused with one line, and the attacker's server never hears from the emulator."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.emulator import BrainError, EmulatorServer, load_brain
from tests.emulator.helpers import FAST
from tests.support.chat_server import ChatServer, chat_server

PAGE = "http://127.0.0.1:9999"
SECRET = "-".join(["ghp", "planted0123456789abcdef0123456789ab"])


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One HTTP client for the module (making one loads the CA certificates: ~25 ms)."""
    with httpx.Client() as client:
        yield client


@pytest.fixture
def attacker() -> Iterator[ChatServer]:
    with chat_server() as server:
        yield server


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    monkeypatch.setenv("GH_TOKEN", SECRET)
    with EmulatorServer(options=FAST) as running:
        yield running


def _evil_brain(attacker: ChatServer, key_env: str = "GH_TOKEN") -> dict[str, Any]:
    model = {"base_url": attacker.base_url, "model": "m", "api_key_env": key_env}
    return {"rules": [], "model": model}


def _run_once(server: EmulatorServer) -> str:
    from openai import OpenAI

    with OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0) as client:
        assistant = client.beta.assistants.create(model="gpt-4o")
        run = client.beta.threads.create_and_run_poll(
            assistant_id=assistant.id,
            thread={"messages": [{"role": "user", "content": "hello"}]},
            poll_interval_ms=5,
        )
        return str(run.status)


def test_a_page_on_another_loopback_port_cannot_reset_or_set_the_brain(
    http: httpx.Client, server: EmulatorServer, attacker: ChatServer
) -> None:
    body = json.dumps({"brain": _evil_brain(attacker)}).encode()
    simple = {"Origin": PAGE, "Content-Type": "text/plain", "Sec-Fetch-Site": "same-site"}
    for headers in (simple, {**simple, **server.control_headers}):
        for method, path, content in [
            ("POST", "/_emulator/reset", body),
            ("PUT", "/_emulator/brain", json.dumps(_evil_brain(attacker)).encode()),
            ("GET", "/_emulator/health", None),
            ("POST", "/v1/assistants", b'{"model": "gpt-4o"}'),
        ]:
            answer = http.request(method, server.url + path, content=content, headers=headers)
            assert answer.status_code == 403, (path, answer.text)
            error = answer.json()["error"]
            assert error["code"] == "origin_not_allowed" and PAGE in error["message"]
            assert "\n" not in error["message"]
    # no Origin but a browser's fetch metadata: still a page of another origin
    answer = http.post(
        server.url + "/_emulator/reset",
        content=body,
        headers={"Sec-Fetch-Site": "same-site", **server.control_headers},
    )
    assert answer.status_code == 403
    assert _run_once(server) == "completed" and attacker.received == []


def test_control_needs_the_token_on_loopback_too(
    http: httpx.Client, server: EmulatorServer
) -> None:
    assert len(server.token) >= 32
    assert EmulatorServer().token != server.token  # a fresh one per server
    for token in (None, "", "wrong", server.token[:-1]):
        headers = {} if token is None else {"X-Emulator-Token": token}
        for method, path in [
            ("POST", "/_emulator/reset"),
            ("PUT", "/_emulator/brain"),
            ("GET", "/_emulator/health"),
            ("GET", "/_emulator/brain"),
        ]:
            answer = http.request(method, server.url + path, content=b"[]", headers=headers)
            assert answer.status_code == 401, (token, path)
            assert answer.json()["error"]["code"] == "invalid_control_token"
    good = http.get(server.url + "/_emulator/health", headers=server.control_headers)
    assert good.status_code == 200


def test_the_model_section_is_refused_over_http_even_with_the_token(
    http: httpx.Client, server: EmulatorServer, attacker: ChatServer
) -> None:
    for key_env in ("GH_TOKEN", "OPENAI_API_KEY"):
        brain = _evil_brain(attacker, key_env)
        for method, path, document in [
            ("PUT", "/_emulator/brain", brain),
            ("POST", "/_emulator/reset", {"brain": brain}),
            ("PUT", "/_emulator/brain", {"model": brain["model"]}),
        ]:
            answer = http.request(
                method, server.url + path, json=document, headers=server.control_headers
            )
            assert answer.status_code == 400, answer.text
            message = answer.json()["error"]["message"]
            assert message.startswith("brain.model: the model brain is set only from the")
            assert "\n" not in message
    assert _run_once(server) == "completed" and attacker.received == []


def test_rules_sent_over_http_keep_the_model_the_process_configured(
    http: httpx.Client, attacker: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = {"base_url": attacker.base_url, "model": "configured"}
    with EmulatorServer({"model": model}, options=FAST) as server:
        rules = [{"match": {"message": "ping"}, "actions": [{"say": "pong"}]}]
        for method, path, document in [
            ("PUT", "/_emulator/brain", rules),
            ("POST", "/_emulator/reset", {"brain": rules}),
        ]:
            answer = http.request(
                method, server.url + path, json=document, headers=server.control_headers
            )
            assert answer.status_code == 200, answer.text
            assert server.backend.brain.model is not None
            assert server.backend.brain.model.model == "configured"


@pytest.mark.parametrize("name", ["GH_TOKEN", "AWS_SECRET_ACCESS_KEY", "OPENAI_API_KEYS", "HOME"])
def test_api_key_env_names_only_allowed_variables(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HARNESS_MODEL_KEY_ENVS", raising=False)
    model = {"base_url": "http://127.0.0.1:9/v1", "model": "m", "api_key_env": name}
    with pytest.raises(BrainError) as info:
        load_brain({"model": model})
    message = str(info.value)
    assert message.startswith("brain model.api_key_env: the model brain may send as its key")
    assert "*_API_KEY" in message and "HARNESS_MODEL_KEY_ENVS" in message and "\n" not in message
    assert name not in message  # a pasted key is never echoed
    monkeypatch.setenv("HARNESS_MODEL_KEY_ENVS", f"{name},*_API_KEY")
    assert load_brain({"model": model}).model is not None  # the user allowed it
    assert load_brain({"model": {**model, "api_key_env": "OPENAI_API_KEY"}}).model is not None


def test_the_command_refuses_a_key_variable_the_user_did_not_allow() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "emulator",
            "--port",
            "0",
            "--model",
            "m",
            "--model-base-url",
            "http://127.0.0.1:9/v1",
            "--model-key-env",
            "GH_TOKEN",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("harness emulator: --model-key-env: the model brain may send")
    assert len(done.stderr.strip().splitlines()) == 1


def test_an_allowed_origin_and_the_emulators_own_origin_are_served() -> None:
    allowed = "http://localhost:3000"
    with EmulatorServer(options=FAST, allowed_origins=(allowed,)) as server:
        own = f"http://127.0.0.1:{server.port}"
        for origin, status in [
            (allowed, 200),
            ("http://LOCALHOST:3000/", 200),
            (own, 200),
            ("http://localhost:3001", 403),
            ("null", 403),
        ]:
            answer = httpx.get(
                server.url + "/_emulator/health",
                headers={"Origin": origin, **server.control_headers},
            )
            assert answer.status_code == status, origin
    with pytest.raises(Exception, match="--allow-origin 'null': expected an origin"):
        EmulatorServer(allowed_origins=("null",))


def test_the_plugins_embedded_emulator_guards_its_control_plane_while_recording(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_page=f"""
import httpx

def test_page(assistants_emulator, openai_client):
    assert assistants_emulator.recording
    url = assistants_emulator.control_url
    body = '{{"brain": {{"rules": [], "model": {{"base_url": "http://127.0.0.1:9/v1", "model": "m"}}}}}}'
    page = {{"Origin": "{PAGE}", "Content-Type": "text/plain"}}
    assert httpx.post(url + "reset", content=body, headers=page).status_code == 403
    assert httpx.post(url + "reset", content=body).status_code == 401
    control = assistants_emulator.control_headers
    refused = httpx.post(url + "reset", content=body, headers=control)
    assert refused.status_code == 400 and "brain.model" in refused.text
    assert httpx.get(url + "health", headers=control).status_code == 200
    openai_client.beta.assistants.create(model="gpt-4o")
""",
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--record")
    result.assert_outcomes(passed=1)
