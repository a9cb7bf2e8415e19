"""Requests in a marked test that are not Assistants API traffic never land in its cassette."""

from __future__ import annotations

import pytest

from tests.support.echo_server import echo_server

TESTS = """
import os
import httpx
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    openai_client.beta.threads.create()
    weather = httpx.get(os.environ["WEATHER_URL"] + "/forecast?city=Paris")
    assert weather.status_code == 200
    # A path outside the Assistants API on the API's own host is not API traffic either.
    status = httpx.get(str(openai_client.base_url) + "chat/models").status_code
    assert status in (404, 200)
"""


def test_other_services_pass_through_while_recording_and_are_refused_in_replay(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_app=TESTS)
    with echo_server() as (weather_url, seen):
        monkeypatch.setenv("WEATHER_URL", weather_url)
        # The app's own server: where a request outside the API sent to the emulator goes.
        monkeypatch.setenv("OPENAI_BASE_URL", weather_url)
        pytester.runpytest("--record").assert_outcomes(passed=1)
        assert [s["path"] for s in seen] == ["/v1/forecast", "/v1/chat/models"], (
            "the weather request went through, and chat/models went to the app's own server"
        )
        text = (pytester.path / "cassettes" / "test_app" / "test_app.yaml").read_text()
        assert "forecast" not in text and "chat/models" not in text
        assert '"path": "/threads"' in text

        seen.clear()
        replayed = pytester.runpytest()
        replayed.assert_outcomes(failed=1)
        assert seen == [], "replay sent nothing to the other service"
        replayed.stdout.fnmatch_lines(
            [
                "*GET http://127.0.0.1:*/v1/forecast is not Assistants API traffic (the API is at "
                "http://127.0.0.1:9/v1): replay serves only Assistants API requests and refuses "
                "others; mock this request, or mark the test `vcr` so pytest-recording handles it"
            ]
        )


def test_pytest_recording_handles_other_traffic_of_a_test_marked_for_both(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_app="""
import os
import httpx
import pytest

@pytest.mark.vcr
@pytest.mark.assistants_cassette
def test_app(openai_client):
    openai_client.beta.threads.create()
    assert httpx.get(os.environ["WEATHER_URL"] + "/forecast").status_code == 200
"""
    )
    with echo_server() as (weather_url, seen):
        monkeypatch.setenv("WEATHER_URL", weather_url)
        pytester.runpytest("--record").assert_outcomes(passed=1)
        folder = pytester.path / "cassettes" / "test_app"
        ours = (folder / "test_app.assistants.yaml").read_text()
        theirs = (folder / "test_app.yaml").read_text()
        assert "forecast" not in ours and '"path": "/threads"' in ours
        assert "forecast" in theirs and "/threads" not in theirs
        seen.clear()
        pytester.runpytest().assert_outcomes(passed=1)
        assert seen == [], "pytest-recording replayed the weather request"
