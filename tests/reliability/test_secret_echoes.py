"""What a dropped header carried is removed wherever it comes back, for the whole recording.

The attack: a header the recorder drops (a custom auth header, Azure's
`api-key`, `Proxy-Authorization`, a tenant header) carries a value no pattern
knows. The leaky server echoes it in JSON bodies, streamed text and response
headers; then the app, through another client that sends no such header, puts
the same value in a later request's body and query. Recorded and replayed
against the emulator and the leaky server. A value that appears in a body
before any header reveals it is removed too (recording only: see below).
"""

from __future__ import annotations

import textwrap

import pytest

from tests.reliability.attack import BACKENDS, Leaky, leaky, plant, record_then_replay, run
from tests.reliability.leaks import assert_no_leaks, azure_key, opaque

__all__ = ["leaky"]

HEADERS = (
    "x-custom-auth",
    "x-goog-api-key",
    "x-tenant",
    "api-key",
    "proxy-authorization",
    "x-session",
    "x-amz-security-token",
)

INNER = textwrap.dedent(
    """
    import json
    from pathlib import Path

    import openai
    import pytest

    S = json.loads((Path(__file__).parent / "secrets.json").read_text())


    def leak(name, value):
        headers = {name: value, "x-echo-x-reflected": value, "x-leak-shape": "message"}
        return openai.OpenAI(default_headers=headers, max_retries=0)


    def reuse(client, assistant, thread, value):
        client.beta.assistants.update(assistant, instructions=f"the tenant key is {value}")
        client.beta.threads.messages.list(thread, extra_query={"note": value})


    @pytest.mark.parametrize("case", range(len(S["cases"])))
    @pytest.mark.assistants_cassette
    def test_echo(case):
        name, value = S["cases"][case]
        plain = openai.OpenAI(max_retries=0)
        if S["order"] == "body first":
            assistant = plain.beta.assistants.create(model="gpt-4o", instructions=f"key {value}")
        with_header = leak(name, value)
        if S["order"] != "body first":
            assistant = with_header.beta.assistants.create(model="gpt-4o")
        thread = with_header.beta.threads.create()
        with with_header.beta.threads.runs.stream(
            thread_id=thread.id, assistant_id=assistant.id
        ) as events:
            events.until_done()
        reuse(plain, assistant.id, thread.id, value)
    """
)


def _cases() -> list[tuple[str, str]]:
    cases = [(name, opaque(f"H{n}")) for n, name in enumerate(HEADERS)]
    return [*cases, ("api-key", azure_key())]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_dropped_headers_value_is_removed_wherever_it_comes_back(
    pytester: pytest.Pytester, leaky: Leaky, backend: str
) -> None:
    cases = _cases()
    plant(pytester, INNER, {"cases": cases, "order": "header first"})

    runs = record_then_replay(pytester, backend, passed=len(cases))

    planted = {f"{name} #{n}": value for n, (name, value) in enumerate(cases)}
    if backend == "live":
        assert [name for name, value in cases if not leaky.received(value)] == []
    assert_no_leaks(pytester.path, runs.output, planted)


def test_a_value_in_a_body_before_its_header_reveals_it_is_removed_too(
    pytester: pytest.Pytester, leaky: Leaky
) -> None:
    """Learning reaches back over the whole recording. Replay cannot follow: when
    the body is replayed, nothing has revealed the value yet, so that request
    no longer matches (the price of never writing the value)."""
    cases = _cases()
    plant(pytester, INNER, {"cases": cases, "order": "body first"})

    result, output = run(pytester, "--record", "--record-backend=live")

    result.assert_outcomes(passed=len(cases))
    planted = {f"{name} #{n}": value for n, (name, value) in enumerate(cases)}
    assert_no_leaks(pytester.path, output, planted)
