"""A secret inside a downloaded file never reaches the cassette, in any encoding.

The attack: `files.content` downloads a file that holds a secret, as binary
(kept as base64 in the cassette, at each of the three base64 alignments), as
UTF-8 text, and as base64 inside text or binary. The secret is known from the
environment or by its pattern. The downloaded bytes must be scanned before
they are encoded, and replay serves the redacted file.
"""

from __future__ import annotations

import base64
import textwrap

import pytest

from harness.cassette.format import loads
from tests.reliability.attack import BACKENDS, Leaky, leaky, plant, record_then_replay
from tests.reliability.leaks import assert_no_leaks, opaque, openai_key

__all__ = ["leaky"]

SHAPES = (
    "binary-0",
    "binary-1",
    "binary-2",
    "text",
    "base64-in-text-0",
    "base64-in-text-1",
    "base64-in-text-2",
    "base64-in-binary-1",
)

INNER = textwrap.dedent(
    """
    import base64
    import json
    from pathlib import Path

    import openai
    import pytest

    S = json.loads((Path(__file__).parent / "secrets.json").read_text())


    def content(shape, value):
        kind, _, offset = shape.rpartition("-")
        secret = b"." * int(offset) + value.encode() if offset.isdigit() else value.encode()
        if kind == "binary":
            return b"\\x89BIN\\xff\\x00" + secret + b"\\xfe\\xff"
        if kind == "base64-in-text":
            return b"payload: " + base64.b64encode(secret) + b"\\n"
        if kind == "base64-in-binary":
            return b"\\xff\\x00" + base64.b64encode(secret) + b"\\xfe"
        return b"key=" + secret + b"\\n"


    @pytest.mark.parametrize("case", range(len(S["cases"])))
    @pytest.mark.assistants_cassette
    def test_download(case, assistants_cassette):
        shape, value = S["cases"][case]
        sent = content(shape, value)
        client = openai.OpenAI(max_retries=0)
        uploaded = client.files.create(file=("data.bin", sent), purpose="assistants")
        got = client.files.content(uploaded.id).read()
        same = got == sent
        if assistants_cassette.mode == "replay":
            assert not same and b"<redacted>" in got
        else:
            assert same
    """
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_secret_in_a_downloaded_file_is_scanned_before_encoding(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    leaky: Leaky,
    backend: str,
) -> None:
    environment = opaque("En")
    monkeypatch.setenv("OPENAI_API_KEY", environment)
    cases = [(shape, value) for shape in SHAPES for value in (environment, openai_key())]
    plant(pytester, INNER, {"cases": cases})

    runs = record_then_replay(pytester, backend, passed=len(cases))

    planted = {f"{shape} #{n}": value for n, (shape, value) in enumerate(cases)}
    assert_no_leaks(pytester.path, runs.output, planted)
    stored = [
        base64.b64decode(i.response.base64)
        for path in sorted(runs.cassettes.rglob("*.yaml"))
        for i in loads(path.read_text()).interactions
        if i.response.base64 is not None
    ]
    # The binary downloads stayed binary (base64 in the cassette), redacted inside.
    assert len(stored) == sum("binary" in shape for shape, _ in cases)
    assert all(b"<redacted>" in data for data in stored)
