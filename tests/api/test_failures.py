"""One wording of what went wrong: the fault overlays' error answers and failed runs and
responses, and the emulator's, come from `harness.api.failures`."""

from __future__ import annotations

import time

import orjson
import pytest

from harness.api import failures
from harness.emulator.errors import ApiError
from harness.emulator.http.handlers import error_response
from harness.faults import Fault
from harness.faults.responses import end_response, end_run, http_error


@pytest.mark.parametrize("status", sorted(failures.HTTP_ERRORS))
def test_the_emulator_and_the_overlays_answer_an_http_error_alike(status: int) -> None:
    faulted = http_error(status)
    message, kind, code = failures.HTTP_ERRORS[status]
    served = error_response(ApiError(status, message, type=kind, code=code), time.monotonic())
    assert orjson.loads(served.body) == faulted.body
    # 503 too says when to come back (the emulator's said so only for 429)
    assert served.headers.get("retry-after") == faulted.headers.get("retry-after")
    assert ("retry-after" in faulted.headers) == (status in (429, 503))


def test_failed_runs_and_responses_carry_the_apis_words_for_their_code() -> None:
    run = {"id": "run_1", "object": "thread.run", "status": "in_progress", "created_at": 5}
    ended = end_run(run, Fault("failed", "run_1", "rate_limit_exceeded"))
    response = {"id": "resp_1", "object": "response", "status": "in_progress"}
    failed = end_response(response, Fault("failed", "resp_1.poll_1", "rate_limit_exceeded"))
    assert ended["last_error"] == failed["error"] == failures.failure("rate_limit_exceeded")
    assert "quota" in failed["error"]["message"]
