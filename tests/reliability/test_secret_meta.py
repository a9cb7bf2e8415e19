"""A cassette's `meta` is redacted like everything else.

The attack: the live backend's `OPENAI_BASE_URL` carries a secret in its path
(a gateway that takes the key as a path segment), which the recorder keeps as
`meta.base_path`. The secret is known from the environment or by its pattern.
"""

from __future__ import annotations

import textwrap

import pytest

from harness.cassette.format import loads
from tests.reliability.attack import Leaky, leaky, plant, run
from tests.reliability.leaks import assert_no_leaks, opaque, openai_key

__all__ = ["leaky"]

INNER = textwrap.dedent(
    """
    import openai
    import pytest


    @pytest.mark.assistants_cassette
    def test_base_path():
        openai.OpenAI(max_retries=0).beta.assistants.create(model="gpt-4o")
    """
)


@pytest.mark.parametrize("base", ["/{secret}/v1", "/gateway/{secret}/openai", "/v1/key={secret}"])
@pytest.mark.parametrize("known", ["environment", "pattern"])
def test_a_secret_in_the_base_url_path_is_redacted_in_meta(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    leaky: Leaky,
    base: str,
    known: str,
) -> None:
    secret = opaque("En") if known == "environment" else openai_key()
    monkeypatch.setenv("OPENAI_API_KEY", secret if known == "environment" else opaque("Ky"))
    monkeypatch.setenv("OPENAI_BASE_URL", leaky.origin + base.format(secret=secret))
    plant(pytester, INNER, {})

    result, output = run(pytester, "--record", "--record-backend=live")

    result.assert_outcomes(passed=1)
    assert leaky.received(secret)
    assert_no_leaks(pytester.path, output, {"secret": secret})
    (path,) = (pytester.path / "cassettes").rglob("*.yaml")
    cassette = loads(path.read_text())
    assert "<redacted>" in cassette.meta["base_path"]
    assert [i.request.path for i in cassette.interactions] == ["/assistants"]
