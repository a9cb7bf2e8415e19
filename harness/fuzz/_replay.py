"""Serve a cassette to the app's own code for mutation replay, through the harness's one
replay path (`harness.cassette.interception`).

Within `served(cassette)`, every httpx/httpx2 client in the process is answered
from the cassette: the client handed to the app and any `OpenAI()` the app
builds from the environment alike. The player uses a relaxed key: a
`submit_tool_outputs` request matches the recorded one when it answers the same
tool call ids, whatever the outputs say (the handler now sees other arguments,
so its outputs differ). The submission is still checked the way the API checks
it (every call answered exactly once, every output a string), or the client
gets the API's 400 error.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from unittest import mock

from harness import api
from harness.adapters import openai_sdk, vcrpy
from harness.cassette.interception import Interception
from harness.cassette.matching import MatchKey, request_key
from harness.cassette.model import Cassette, Request, Response
from harness.cassette.player import Player
from harness.cassette.redact import Redactor

BASE_URL = "https://api.openai.replay/v1"
API_KEY = "harness-replay-key"


def _is_submission(request: Request) -> bool:
    found = api.match(request.method, request.path)
    return found is not None and found.operation.answers_tool_calls


def _answered_ids(request: Request) -> list[str]:
    body = request.body if isinstance(request.body, Mapping) else {}
    outputs = body.get("tool_outputs")
    if not isinstance(outputs, list):
        return []
    return sorted(str(o.get("tool_call_id")) for o in outputs if isinstance(o, Mapping))


def relaxed_key(request: Request) -> MatchKey:
    """`request_key`, except that tool output values of a submission do not count."""
    if not _is_submission(request) or not isinstance(request.body, Mapping):
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


class _SubmissionCheck:
    """Checks a submission as the API would, against the calls the cassette recorded."""

    def __init__(self, cassette: Cassette, log: ReplayLog) -> None:
        self.log = log
        self.expected: dict[str, list[str]] = {}
        for recorded, _ in cassette.exchanges():
            if _is_submission(recorded):
                self.expected.setdefault(recorded.path, _answered_ids(recorded))

    def __call__(self, request: Request) -> Response | None:
        if not _is_submission(request):
            return None
        self.log.submissions.append(request)
        problem = self._problem(request)
        if problem is None:
            return None
        self.log.rejections.append(problem)
        error = {"message": problem, "type": "invalid_request_error", "param": "tool_outputs"}
        return Response(
            400, {"content-type": "application/json"}, {"error": {**error, "code": None}}
        )

    def _problem(self, request: Request) -> str | None:
        body = request.body if isinstance(request.body, Mapping) else {}
        outputs = body.get("tool_outputs")
        if not isinstance(outputs, list):
            return "tool_outputs must be a list"
        for index, output in enumerate(outputs):
            value = output.get("output") if isinstance(output, Mapping) else None
            if not isinstance(value, str):
                return f"tool_outputs[{index}].output must be a string, got {type(value).__name__}"
        expected = self.expected.get(request.path)
        answered = _answered_ids(request)
        if expected is not None and answered != expected:
            return f"expected tool outputs for call ids {expected}, got {answered}"
        return None


@contextlib.contextmanager
def served(cassette: Cassette, source: str = "<cassette>") -> Iterator[tuple[Any, ReplayLog]]:
    """(an `openai.OpenAI` client, the log) while every client in the process replays
    `cassette`; requests it does not hold fail with the harness's mismatch message."""
    import openai

    log = ReplayLog()
    interception = Interception(
        player=Player(cassette, key=relaxed_key),
        recorder=None,
        redactor=Redactor(),
        api_urls=(BASE_URL,),
        source=source,
        rerecord_hint="(this conversation was changed by mutation replay)",
        check=_SubmissionCheck(cassette, log),
    )
    env = {"OPENAI_BASE_URL": BASE_URL, "OPENAI_API_KEY": API_KEY}
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, env))
        stack.enter_context(vcrpy.patch_transports(interception))
        stack.enter_context(openai_sdk.no_waits())
        client = openai.OpenAI(base_url=BASE_URL, api_key=API_KEY, max_retries=0)
        stack.callback(client.close)
        try:
            yield client, log
        finally:
            log.misses.extend(str(miss) for miss in interception.misses)
