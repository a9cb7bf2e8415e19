"""A value under a credential's name never reaches a cassette or a message, wherever it sits.

The attack: each credential name (spelled as services spell them: `x-api-key`,
`subscription-key`, `access-token`, `client_secret`, `sig`, camelCase, upper
case, ...) carries a fresh value no pattern knows, in each place a name can
name a value: a query parameter, a key of JSON encoded inside a message, a
metadata key, a request header. Recorded against the emulator and the leaky
server (which echoes everything back); replayed; then replayed with a changed
request, so every case prints a mismatch message.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.reliability.attack import BACKENDS, Leaky, leaky, record_then_replay, run
from tests.reliability.leaks import assert_no_leaks, opaque

__all__ = ["leaky"]

# Other spellings of these names: tests/cassette/test_redact.py.
NAMES = (
    "x-api-key",
    "subscription-key",
    "access-token",
    "client_secret",
    "password",
    "secret",
    "refresh_token",
    "id_token",
    "auth_token",
    "sig",
    "api-key",
    "apiKey",
    "sessionToken",
    "token",
    "pwd",
    "credentials",
    "cookie",
    "key",
)
PLACES = ("query", "json-in-a-string", "metadata", "header")
# `key` names a credential only as a query parameter or header: in JSON it
# names an attribute (vector store filters).
QUERY_ONLY = {"key"}

INNER = textwrap.dedent(
    """
    import json
    from pathlib import Path

    import openai
    import pytest

    S = json.loads((Path(__file__).parent / "secrets.json").read_text())


    @pytest.mark.parametrize("case", range(len(S["cases"])))
    @pytest.mark.assistants_cassette
    def test_named(case):
        name, place, value = S["cases"][case]
        headers = {name: value} if place == "header" else {}
        client = openai.OpenAI(default_headers=headers, max_retries=0)
        thread = client.beta.threads.create(metadata={"variant": S["variant"]})
        if place == "query":
            client.beta.threads.messages.list(thread.id, extra_query={name: value})
        elif place == "json-in-a-string":
            content = json.dumps({"note": "tool output", name: value})
            client.beta.threads.messages.create(thread.id, role="user", content=content)
        elif place == "metadata":
            client.beta.threads.messages.create(
                thread.id, role="user", content="hi", metadata={name: value}
            )
        else:
            client.beta.threads.messages.list(thread.id)
    """
)


def _cases() -> list[tuple[str, str, str]]:
    return [
        (name, place, opaque(f"V{number}"))
        for number, (name, place) in enumerate(
            (n, p)
            for n in NAMES
            for p in PLACES
            if not (n in QUERY_ONLY and p not in ("query", "header"))
        )
    ]


def _plant(pytester: pytest.Pytester, cases: list[tuple[str, str, str]], variant: str) -> None:
    (pytester.path / "secrets.json").write_text(json.dumps({"cases": cases, "variant": variant}))


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_credential_named_values_are_redacted_in_every_place(
    pytester: pytest.Pytester, leaky: Leaky, backend: str
) -> None:
    cases = _cases()
    _plant(pytester, cases, "first")
    pytester.makepyfile(test_planted=INNER)

    runs = record_then_replay(pytester, backend, passed=len(cases))
    # Replayed with a changed request (and new values): every case misses and
    # prints the request and its nearest recorded ones.
    fresh = _cases()
    _plant(pytester, fresh, "second")
    missed, output = run(pytester)
    missed.assert_outcomes(failed=len(cases))
    assert output.count("Nearest recorded requests:") == len(cases)

    planted = {
        f"{n} in {p} ({take})": v
        for take in ("recorded", "replayed")
        for n, p, v in (cases if take == "recorded" else fresh)
    }
    if backend == "live":
        assert [(n, p) for n, p, v in cases if not leaky.received(v)] == []
    assert_no_leaks(pytester.path, runs.output + output, planted)
