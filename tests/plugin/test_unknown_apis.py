"""A marked test that calls an OpenAI API the harness does not record gets one line naming that
API in replay (and, for the Realtime API, whose sessions outlive a request, while recording
too); while recording, the others reach the app's own server (tests/plugin/test_real_apps.py)."""

from __future__ import annotations

import pytest

APP = """
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    openai_client.beta.threads.create()
    if CALL:
        openai_client.audio.speech.create(model="tts-1", voice="alloy", input="hi")
"""
LINE = (
    "*POST http://127.0.0.1:*/v1/audio/speech calls the Audio API, which the harness does not "
    "record or replay (it handles the Assistants, Responses and Conversations APIs, files, "
    "vector stores and containers): make this call outside the marked test, or mock it"
)


def test_the_realtime_api_is_named_while_recording(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_app="""
import httpx
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    openai_client.beta.threads.create()
    httpx.post(str(openai_client.base_url) + "realtime/sessions", json={"model": "gpt-realtime"})
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*POST http://127.0.0.1:*/v1/realtime/sessions calls the Realtime API, which the "
            "harness does not record or replay*"
        ]
    )
    assert not (pytester.path / "cassettes" / "test_app" / "test_app.yaml").exists()


def test_an_unknown_api_is_named_in_replay(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_app="CALL = False\n" + APP)
    pytester.runpytest("-p", "no:cacheprovider", "--record").assert_outcomes(passed=1)
    pytester.makepyfile(test_app="CALL = True\n" + APP)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([LINE])


def test_the_realtime_api_under_azure_and_proxy_bases_is_named() -> None:
    from harness import api

    assert api.other_api("/v1/realtime/client_secrets") == "the Realtime API"
    assert api.other_api("/openai/realtime/sessions") == "the Realtime API"
    assert api.other_api("/api/openai/v1/audio/transcriptions") == "the Audio API"
    assert api.other_api("/v1/responses") is None
    assert api.other_api("/v1/forecast") is None
