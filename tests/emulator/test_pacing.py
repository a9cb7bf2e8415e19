"""Pacing: `openai-poll-after-ms` changes nothing but its own header, and `observe_hold` (the
one deliberate departure) is what makes a sparse poller see every status."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest

from harness.emulator import EmulatorOptions, EmulatorServer

VOLATILE = {"x-request-id", "openai-processing-ms", "date", "content-length"}
AUTH = {"authorization": "Bearer sk-test", "openai-beta": "assistants=v2"}


def conversation(server: EmulatorServer) -> list[tuple[str, int, bytes, dict[str, str]]]:
    """One seeded conversation by raw requests: what each answer was."""
    server.reset(seed="pacing")
    seen: list[tuple[str, int, bytes, dict[str, str]]] = []
    with httpx.Client(base_url=server.base_url, headers=AUTH) as http:

        def call(method: str, path: str, **kwargs: Any) -> Any:
            response = http.request(method, path, **kwargs)
            headers = {k: v for k, v in response.headers.items() if k not in VOLATILE}
            seen.append((f"{method} {path}", response.status_code, response.content, headers))
            return response.json()

        upload = call(
            "POST", "/files", files={"file": ("a.txt", b"otters")}, data={"purpose": "assistants"}
        )
        store = call("POST", "/vector_stores", json={"name": "s"})
        call("POST", f"/vector_stores/{store['id']}/files", json={"file_id": upload["id"]})
        call("GET", f"/vector_stores/{store['id']}/files/{upload['id']}")
        assistant = call("POST", "/assistants", json={"model": "gpt-4o"})
        thread = call("POST", "/threads", json={"messages": [{"role": "user", "content": "hi"}]})
        run = call("POST", f"/threads/{thread['id']}/runs", json={"assistant_id": assistant["id"]})
        while run["status"] not in ("completed", "failed"):
            run = call("GET", f"/threads/{thread['id']}/runs/{run['id']}")
        call("GET", f"/threads/{thread['id']}/messages")
    return seen


def test_poll_after_changes_only_its_header() -> None:
    with (
        EmulatorServer() as quiet,
        EmulatorServer(options=EmulatorOptions(poll_after_ms=7)) as hinting,
    ):
        plain, hinted = conversation(quiet), conversation(hinting)
    assert [(w, s, b) for w, s, b, _ in plain] == [(w, s, b) for w, s, b, _ in hinted]
    assert not any("openai-poll-after-ms" in h for *_, h in plain), "the real API sent none"
    polled = [w for w, *_, h in hinted if h.pop("openai-poll-after-ms", None) == "7"]
    assert polled and all(w.startswith("GET") for w in polled)
    assert [h for *_, h in plain] == [h for *_, h in hinted]


def statuses_seen_by_sparse_polls(hold: float) -> list[str]:
    """A client that polls only after the run has had time to finish."""
    import openai

    options = EmulatorOptions(observe_hold=hold)
    with (
        EmulatorServer(options=options) as server,
        openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0) as client,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", DeprecationWarning)
        assistant = client.beta.assistants.create(model="gpt-4o")
        thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
        run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
        seen = [run.status]
        while seen[-1] not in ("completed", "failed"):
            raw = client.beta.threads.runs.with_raw_response.retrieve(run.id, thread_id=thread.id)
            seen.append(raw.parse().status)
    return seen


@pytest.mark.parametrize(
    ("hold", "expected"),
    [
        (2.0, ["queued", "in_progress", "completed"]),  # the default: every status held
        (0.0, ["queued", "completed"]),  # as the real API: sparse polls skip statuses
    ],
)
def test_observe_hold_decides_whether_sparse_polls_see_every_status(
    hold: float, expected: list[str]
) -> None:
    assert statuses_seen_by_sparse_polls(hold) == expected


def test_defaults() -> None:
    options = EmulatorOptions()
    assert options.poll_after_ms is None and options.observe_hold > 0
