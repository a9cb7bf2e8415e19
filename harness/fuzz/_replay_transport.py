"""Serve a cassette to a real `openai.OpenAI` client in memory, for mutation replay.

Built on the indexed `Player` with a relaxed request key: a
`submit_tool_outputs` request matches the recorded one when it answers the
same tool call ids, whatever the outputs say (the handler now sees other
arguments, so its outputs differ). The submission is still checked the way
the API checks it: every call answered exactly once, every output a string;
otherwise the client gets the API's 400 error.

`httpx2.MockTransport` serves openai 3.x and `httpx.MockTransport` openai 2.x.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from harness.cassette.matching import MatchKey, describe, explain_miss, request_key
from harness.cassette.model import Cassette, Request
from harness.cassette.player import Player
from harness.cassette.wire import request_from_http

BASE_URL = "https://api.openai.replay/v1"
SUBMIT = "/submit_tool_outputs"


def _answered_ids(request: Request) -> list[str]:
    body = request.body if isinstance(request.body, Mapping) else {}
    outputs = body.get("tool_outputs")
    if not isinstance(outputs, list):
        return []
    return sorted(str(o.get("tool_call_id")) for o in outputs if isinstance(o, Mapping))


def relaxed_key(request: Request) -> MatchKey:
    """`request_key`, except that tool output values of a submission do not count."""
    if not request.path.endswith(SUBMIT) or not isinstance(request.body, Mapping):
        return request_key(request)
    body = {k: v for k, v in request.body.items() if k != "tool_outputs"}
    body["tool_call_ids"] = _answered_ids(request)
    return request_key(replace(request, body=body))


@dataclass
class ReplayLog:
    """What the app did against the replayed conversation."""

    submissions: list[Request] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    rejections: list[str] = field(default_factory=list)


class ReplayTransport:
    """Answers requests from a cassette; keeps a `ReplayLog`."""

    def __init__(self, cassette: Cassette, base_path: str = "/v1") -> None:
        self.player = Player(cassette, key=relaxed_key)
        self.base_path = base_path
        self.log = ReplayLog()
        self._expected: dict[str, list[str]] = {}
        for recorded, _ in cassette.exchanges():
            if recorded.path.endswith(SUBMIT):
                self._expected.setdefault(recorded.path, _answered_ids(recorded))

    def respond(
        self, method: str, url: str, headers: Any, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        request = request_from_http(method, url, headers, body, self.base_path)
        if request.path.endswith(SUBMIT):
            self.log.submissions.append(request)
            problem = self._check_submission(request)
            if problem is not None:
                self.log.rejections.append(problem)
                return _api_error(400, problem, "tool_outputs")
        response = self.player.find(request)
        if response is None:
            recorded = self.player.recorded_requests()
            self.log.misses.append(f"{describe(request)}\n{explain_miss(request, recorded)}")
            return _api_error(404, f"no recorded response for {describe(request)}", None)
        headers_out, content = self.player.wire(response)
        if not any(name.lower() == "content-type" for name, _ in headers_out):
            kind = "text/event-stream" if response.is_stream else "application/json"
            headers_out = [*headers_out, ("content-type", kind)]
        return response.status, headers_out, content

    def _check_submission(self, request: Request) -> str | None:
        body = request.body if isinstance(request.body, Mapping) else {}
        outputs = body.get("tool_outputs")
        if not isinstance(outputs, list):
            return "tool_outputs must be a list"
        for index, output in enumerate(outputs):
            value = output.get("output") if isinstance(output, Mapping) else None
            if not isinstance(value, str):
                return f"tool_outputs[{index}].output must be a string, got {type(value).__name__}"
        expected = self._expected.get(request.path)
        answered = _answered_ids(request)
        if expected is not None and answered != expected:
            return f"expected tool outputs for call ids {expected}, got {answered}"
        return None


def _api_error(
    status: int, message: str, param: str | None
) -> tuple[int, list[tuple[str, str]], bytes]:
    error = {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    }
    return status, [("content-type", "application/json")], orjson.dumps(error)


def _http_module() -> Any:
    """The HTTP library the installed openai runs on: httpx2 for 3.x, httpx before."""
    import openai

    major = int(openai.__version__.split(".", 1)[0])
    return importlib.import_module("httpx2" if major >= 3 else "httpx")


def replay_client(transport: ReplayTransport) -> Any:
    """An `openai.OpenAI` whose every request `transport` answers, without retries."""
    import openai

    http = _http_module()

    def handler(request: Any) -> Any:
        status, headers, content = transport.respond(
            request.method, str(request.url), request.headers, request.read()
        )
        return http.Response(status, headers=headers, content=content)

    client = http.Client(transport=http.MockTransport(handler))
    return openai.OpenAI(api_key="sk-replay", base_url=BASE_URL, http_client=client, max_retries=0)
