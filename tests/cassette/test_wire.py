"""Responses as the wire carried them: compressed bodies are kept as data, and an encoding
nothing here decodes is kept byte for byte with its header."""

from __future__ import annotations

import zlib
from pathlib import Path

import openai
import pytest

from harness.backends import Backend
from harness.cassette.session import CassetteSession
from harness.cassette.wire import response_from_vcr, response_to_http
from harness.config import Settings

KEY = "sk-test-planted-0123456789abcdef"


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
@pytest.mark.parametrize("stream", [False, True])
def test_a_compressed_live_answer_is_recorded_as_data_and_replays(
    tmp_path: Path, echo_backend, encoding: str, stream: bool
) -> None:
    base_url, _ = echo_backend
    path = tmp_path / "compressed.yaml"

    def ask() -> str:
        client = openai.OpenAI(default_headers={"x-echo-encoding": encoding})
        if stream:
            with client.beta.threads.create_and_run(assistant_id="asst_1", stream=True) as events:
                return ",".join(event.event for event in events)
        return client.beta.threads.create().id

    recording = CassetteSession.open(
        path,
        Settings(record_mode="all"),
        record_hint="x",
        backend_factory=lambda: Backend("live", base_url, KEY),
    )
    with recording.active():
        live = ask()
    recording.finish(passed=True)
    text = path.read_text()
    assert "content-encoding" not in text and '"base64"' not in text
    assert ('"event": "thread.run.created"' in text) if stream else ('"id": "obj_echo"' in text)

    replay = CassetteSession.open(path, Settings(), record_hint="x", backend_factory=lambda: None)  # type: ignore[arg-type,return-value]
    with replay.active():
        assert ask() == live
    assert replay.interception.misses == []


def test_an_encoding_nothing_decodes_is_kept_as_sent_with_its_header() -> None:
    sent = zlib.compress(b'{"id": "thread_1"}')  # what a `compress` body might be: opaque here
    response = response_from_vcr(
        {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": ["application/json"], "Content-Encoding": ["compress"]},
            "body": {"string": sent},
        }
    )
    assert response.body is None and response.headers["content-encoding"] == "compress"
    headers, body = response_to_http(response)
    assert body == sent and ("content-encoding", "compress") in headers


def test_encodings_are_taken_off_in_reverse_and_the_rest_is_kept() -> None:
    inner = zlib.compress(b'{"id": "thread_1"}')
    response = response_from_vcr(
        {
            "status": {"code": 200, "message": "OK"},
            "headers": {
                "content-type": ["application/json"],
                "content-encoding": ["compress, deflate"],
            },
            "body": {"string": zlib.compress(inner)},
        }
    )
    assert response.headers["content-encoding"] == "compress"
    assert response_to_http(response)[1] == inner


@pytest.mark.parametrize(
    "value", [b"plain-ascii", "caf\u00e9-utf8".encode(), "caf\u00e9-latin1".encode("latin-1")]
)
def test_request_headers_read_from_raw_bytes_decode_as_httpx_decodes_them(value: bytes) -> None:
    import importlib

    from harness.cassette.wire import request_from_http

    # The SDK's HTTP library: httpx2 under openai 3.x, httpx under 2.x.
    try:
        http = importlib.import_module("httpx2")
    except ImportError:
        http = importlib.import_module("httpx")
    headers = http.Headers([(b"X-Team-Token", value), (b"OpenAI-Beta", b"assistants=v2")])
    request = request_from_http("GET", "http://127.0.0.1:9/v1/threads/t", headers, b"", "/v1")
    assert request.headers == dict(headers.multi_items())
    assert request.path == "/threads/t"
