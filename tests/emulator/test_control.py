"""The control endpoints take rules, never a path, and survive hostile documents; the API
answers deeply nested JSON with a 400 in its error shape."""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.emulator import load_brain
from tests.emulator.leaks import leaks, planted_key

API_HEADERS = {
    "Authorization": "Bearer sk-test",
    "OpenAI-Beta": "assistants=v2",
    "Content-Type": "application/json",
}
BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One HTTP client for the module (making one loads the CA certificates: ~25 ms)."""
    with httpx.Client() as client:
        yield client


@pytest.fixture
def secret_file(tmp_path: Path) -> tuple[Path, str]:
    secret = planted_key()
    path = tmp_path / "rules.yaml"
    path.write_text(f"- name: {secret}\n  actions: [{{say: {secret}}}]\n  bad: {secret}\n")
    return path, secret


def _as_bodies(path: Path) -> list[bytes]:
    """Every way a path could be sent where rules are expected."""
    return [
        json.dumps(str(path)).encode(),
        str(path).encode(),
        json.dumps({"rules": str(path)}).encode(),
        json.dumps([str(path)]).encode(),
        f"rules: {path}\n".encode(),
    ]


def test_a_path_is_never_read_over_http(
    http: httpx.Client, emulator: Any, secret_file: tuple[Path, str]
) -> None:
    path, secret = secret_file
    for body in _as_bodies(path):
        for method, url, payload in [
            ("PUT", "/_emulator/brain", body),
            ("POST", "/_emulator/reset", b'{"brain": ' + json.dumps(str(path)).encode() + b"}"),
        ]:
            answer = http.request(
                method, emulator.url + url, content=payload, headers=emulator.control_headers
            )
            assert answer.status_code == 400, answer.text
            assert leaks(secret, answer.text) == [], answer.text
            assert "error" in answer.json()
    brain = http.get(emulator.url + "/_emulator/brain", headers=emulator.control_headers)
    assert brain.json()["rules"] == 0


def test_a_trusted_caller_may_still_pass_a_rules_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("- actions: [{say: hi}]\n")
    assert len(load_brain(path).rules) == 1 and len(load_brain(str(path)).rules) == 1


def test_a_yaml_bomb_is_refused_at_once(http: httpx.Client, emulator: Any, tmp_path: Path) -> None:
    assert len(BILLION_LAUGHS) < 600
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    answer = http.put(
        emulator.url + "/_emulator/brain",
        content=BILLION_LAUGHS,
        timeout=10,
        headers=emulator.control_headers,
    )
    assert answer.status_code == 400 and "anchors and aliases" in answer.json()["error"]["message"]
    assert time.monotonic() - started < 2
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    assert grown_kib < 100_000
    bomb_file = tmp_path / "bomb.yaml"
    bomb_file.write_text(BILLION_LAUGHS)
    with pytest.raises(ValueError, match="anchors and aliases"):
        load_brain(bomb_file)


@pytest.mark.parametrize("depth", [150, 500, 1000, 5000])
def test_deep_documents_are_refused_on_control_endpoints(
    http: httpx.Client, emulator: Any, depth: int
) -> None:
    for body in ("[" * depth + "]" * depth, "- " * depth + "x"):
        answer = http.put(
            emulator.url + "/_emulator/brain", content=body, headers=emulator.control_headers
        )
        assert answer.status_code == 400, answer.text[:200]


def test_reset_checks_its_options(http: httpx.Client, emulator: Any) -> None:
    for body in ({"seed": {"a": 1}}, {"seed": 5}, {"other": 1}, ["seed"]):
        answer = http.post(
            emulator.url + "/_emulator/reset", json=body, headers=emulator.control_headers
        )
        assert answer.status_code == 400, body
    reset = http.post(
        emulator.url + "/_emulator/reset", json={"seed": "s"}, headers=emulator.control_headers
    )
    assert reset.status_code == 200


def _nested(depth: int, leaf: str = '"x"') -> str:
    return '{"a": ' * depth + leaf + "}" * depth


@pytest.mark.parametrize("depth", [120, 300, 500, 800, 1000])
@pytest.mark.parametrize(
    "path,template",
    [
        ("/v1/assistants", '{{"model": "gpt-4o", "metadata": {nested}}}'),
        (
            "/v1/assistants",
            '{{"model": "gpt-4o", "tools": [{{"type": "function", "function": {{"name": "f", '
            '"parameters": {{"type": "object", "properties": {nested}}}}}}}]}}',
        ),
        ("/v1/threads", '{{"messages": [{{"role": "user", "content": {nested}}}]}}'),
        ("/v1/vector_stores", '{{"name": "x", "chunking_strategy": {nested}}}'),
        ("/v1/threads", "{nested}"),
    ],
)
def test_deeply_nested_json_gets_a_400_in_the_apis_shape(
    http: httpx.Client, emulator: Any, path: str, template: str, depth: int
) -> None:
    answer = http.post(
        emulator.url + path, content=template.format(nested=_nested(depth)), headers=API_HEADERS
    )
    assert answer.status_code == 400, answer.text[:300]
    error = answer.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and "nested deeper" in error["message"]


def test_reasonable_nesting_is_still_accepted(client: Any) -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(20):
        schema = {"type": "object", "properties": {"inner": schema}}
    assistant = client.beta.assistants.create(
        model="gpt-4o",
        tools=[{"type": "function", "function": {"name": "f", "parameters": schema}}],
    )
    assert assistant.tools[0].function.parameters == schema
