"""Serve a cassette to the app's own code for mutation replay, through the harness's one
replay path (`harness.cassette.interception`).

Within `served(cassette)`, every httpx/httpx2 client in the process is answered
from the cassette: the client handed to the app and any `OpenAI()` the app
builds from the environment alike. The player uses a relaxed key: a
`submit_tool_outputs` request (or a response request with `function_call_output`
items) matches the recorded one when it answers the same call ids, whatever the
outputs say (the handler now sees other arguments,
so its outputs differ). The submission is still checked the way the API checks
it (every call answered exactly once, every output a string), or the client
gets the API's 400 error.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from unittest import mock

from harness import api
from harness.adapters import openai_sdk, vcrpy
from harness.api.constants import API_PATH
from harness.cassette import calls
from harness.cassette.interception import Interception
from harness.cassette.matching import MatchKey, request_key
from harness.cassette.model import Cassette, Request, Response
from harness.cassette.player import Player
from harness.cassette.redact import Redactor

BASE_URL = "https://api.openai.replay" + API_PATH
API_KEY = "harness-replay-key"


def _is_submission(request: Request) -> bool:
    """Whether `request` answers function calls: a run's tool outputs, or a response request
    with `function_call_output` items."""
    found = api.match(request.method, request.path)
    if found is None:
        return False
    if found.operation.answers_tool_calls:
        return True
    return found.operation.creates_response and bool(calls.answered_call_ids(request))


def _answered_in(request: Request) -> tuple[str, str]:
    """What a submission answers: the run's path, or the response chain it continues."""
    body = request.body if isinstance(request.body, Mapping) else {}
    chain = body.get("previous_response_id") or body.get("conversation") or ""
    return request.path, json.dumps(chain, sort_keys=True)


def relaxed_key(request: Request) -> MatchKey:
    """`request_key`, except that tool output values of a submission do not count."""
    if not _is_submission(request) or not isinstance(request.body, Mapping):
        return request_key(request)
    return request_key(replace(request, body=calls.without_output_values(request.body)))


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
        self.expected: dict[tuple[str, str], list[str]] = {}
        for recorded, _ in cassette.exchanges():
            if _is_submission(recorded):
                self.expected.setdefault(_answered_in(recorded), calls.answered_call_ids(recorded))

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
        if "tool_outputs" in body and not isinstance(body["tool_outputs"], list):
            return "tool_outputs must be a list"
        outputs = calls.outputs_of(request)
        where = "tool_outputs" if "tool_outputs" in body else "input"
        for index, (_, value) in enumerate(outputs):
            if not isinstance(value, str):
                return f"{where}[{index}].output must be a string, got {type(value).__name__}"
        expected = self.expected.get(_answered_in(request))
        answered = calls.answered_call_ids(request)
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
