"""The Responses example of docs/responses.md records against a Responses server on loopback
(`--record-backend=live`) and replays offline, as the page says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.responses_server import responses_server

PAGE = Path(__file__).resolve().parents[2] / "docs" / "responses.md"


def test_the_documented_responses_test_records_and_replays(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    [example] = re.findall(
        r"```python\n# responses_weather_example.py\n(.*?)```", PAGE.read_text(), re.S
    )
    pytester.makepyfile(test_weather=example)
    with responses_server(calls={"get_weather": {"city": "Paris"}}) as app:
        monkeypatch.setenv("OPENAI_BASE_URL", app.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-planted-0123456789abcdef")
        pytester.runpytest(
            "-p", "no:cacheprovider", "--record", "--record-backend=live"
        ).assert_outcomes(passed=1)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    text = (pytester.path / "cassettes" / "test_weather" / "test_weather.yaml").read_text()
    assert "function_call_output" in text and "sk-test-planted" not in text
