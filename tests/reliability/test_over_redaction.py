"""Values that are not secrets are never cut out of other text.

The attack from the other side: a "credential" whose value is an ordinary
word or a short string (`openai-organization: assistant`, `x-tenant: v1`,
`?token=asc`, metadata `{"token": "user"}`) must not turn `/assistants` into
`/<redacted>s`, a message's role into `<redacted>`, or break replay.
"""

from __future__ import annotations

import textwrap

import pytest

from harness.cassette.format import loads
from tests.reliability.attack import BACKENDS, Leaky, leaky, plant, record_then_replay

__all__ = ["leaky"]

VALUES = (
    "assistant",
    "user",
    "threads",
    "messages",
    "run",
    "v1",
    "asc",
    "completed",
    "in_progress",
    "Bearer",
    "application/json",
    "ab1",
    "x9z",
)
SOURCES = ("response header", "request header", "query", "metadata")

INNER = textwrap.dedent(
    """
    import json
    from pathlib import Path

    import openai
    import pytest

    S = json.loads((Path(__file__).parent / "secrets.json").read_text())


    @pytest.mark.parametrize("case", range(len(S["cases"])))
    @pytest.mark.assistants_cassette
    def test_ordinary(case):
        source, value = S["cases"][case]
        headers = {
            "response header": {"x-echo-openai-organization": value},
            "request header": {"x-tenant": value},
        }.get(source, {})
        query = {"token": value} if source == "query" else {}
        metadata = {"token": value} if source == "metadata" else {}
        client = openai.OpenAI(default_headers=headers, default_query=query, max_retries=0)
        assistant = client.beta.assistants.create(model="gpt-4o", metadata=metadata)
        thread = client.beta.threads.create(messages=[{"role": "user", "content": "hello"}])
        run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
        for _ in range(100):  # a status redacted away would poll forever
            run = client.beta.threads.runs.retrieve(run.id, thread_id=thread.id)
            if run.status in ("completed", "failed", "requires_action", "incomplete"):
                break
        assert run.status == "completed"
        client.beta.threads.messages.list(thread.id, order="asc")
    """
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_ordinary_words_and_short_values_are_never_redacted_inside_other_text(
    pytester: pytest.Pytester, leaky: Leaky, backend: str
) -> None:
    sources = SOURCES if backend == "live" else SOURCES[1:]  # the emulator echoes no headers
    cases = [(source, value) for source in sources for value in VALUES]
    plant(pytester, INNER, {"cases": cases})

    runs = record_then_replay(pytester, backend, passed=len(cases))

    for path in sorted(runs.cassettes.rglob("*.yaml")):
        cassette = loads(path.read_text())
        paths = [i.request.path for i in cassette.interactions]
        assert paths[:2] == ["/assistants", "/threads"], path
        assert not any("redacted" in p for p in paths), path
        # `token=asc` is itself replaced (by its name), never `order=asc` beside it.
        assert ("order", "asc") in cassette.interactions[-1].request.query, path
        if backend == "emulator":
            listed = cassette.interactions[-1].response.body["data"]
            assert [m["role"] for m in listed] == ["user", "assistant"], path
            assert listed[0]["content"][0]["text"]["value"] == "hello"
