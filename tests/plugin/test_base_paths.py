"""Recordings made through any base path replay: `/v1`, a proxy's `/openai`, Azure's shape."""

from __future__ import annotations

import pytest

from harness.cassette.format import loads
from tests.support.echo_server import echo_server

OWN_CLIENT = """
import openai
import pytest

@pytest.mark.assistants_cassette
def test_app():
    client = openai.OpenAI()
    thread = client.beta.threads.create(metadata={"via": "proxy"})
    client.beta.threads.messages.list(thread.id, order="asc")
"""

AZURE_CLIENT = """
import openai
import pytest

@pytest.mark.assistants_cassette
def test_app():
    client = openai.AzureOpenAI(api_version="2024-05-01-preview")
    thread = client.beta.threads.create(metadata={"via": "azure"})
    client.beta.threads.messages.list(thread.id)
"""


@pytest.mark.parametrize("base_path", ["/openai", "/api/proxy/openai/v1", ""])
def test_a_live_recording_under_another_base_path_replays(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, base_path: str
) -> None:
    pytester.makepyfile(test_app=OWN_CLIENT)
    with echo_server() as (base_url, seen):
        root = base_url.removesuffix("/v1")
        monkeypatch.setenv("OPENAI_BASE_URL", root + base_path)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789abcdef")
        pytester.runpytest("--record", "--record-backend=live").assert_outcomes(passed=1)
        assert seen[0]["path"] == f"{base_path}/threads"
        text = (pytester.path / "cassettes" / "test_app" / "test_app.yaml").read_text()
        assert '"path": "/threads"' in text and f'"base_path": "{base_path}"' in text
        seen.clear()
        monkeypatch.delenv("OPENAI_BASE_URL")
        pytester.runpytest().assert_outcomes(passed=1)
        assert seen == []


def test_an_azure_app_records_live_and_replays_offline(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_app=AZURE_CLIENT)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with echo_server() as (base_url, seen):
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", base_url.removesuffix("/v1"))
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", "0123456789abcdef0123456789abcdef")
        pytester.runpytest("--record", "--record-backend=live").assert_outcomes(passed=1)
        assert seen[0]["path"] == "/openai/threads"
        assert seen[0]["query"] == {"api-version": "2024-05-01-preview"}
        assert seen[0]["headers"]["api-key"] == "0123456789abcdef0123456789abcdef"
        text = (pytester.path / "cassettes" / "test_app" / "test_app.yaml").read_text()
        assert "0123456789abcdef0123456789abcdef" not in text
        first = loads(text).interactions[0].request
        assert first.path == "/threads" and first.query == (("api-version", "2024-05-01-preview"),)
        seen.clear()
        monkeypatch.delenv("AZURE_OPENAI_ENDPOINT")
        monkeypatch.delenv("AZURE_OPENAI_API_KEY")
        pytester.runpytest().assert_outcomes(passed=1)
        assert seen == []
        # api-version takes part in matching: another version is another request.
        pytester.makepyfile(test_app=AZURE_CLIENT.replace("2024-05-01-preview", "2025-01-01"))
        result = pytester.runpytest()
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            ["*api-version differs: recorded '2024-05-01-preview', sent '2025-01-01'*"]
        )


AZURE_RUN = """
import openai
import pytest

@pytest.mark.assistants_cassette
def test_app():
    client = openai.AzureOpenAI(api_version="2024-05-01-preview")
    assistant = client.beta.assistants.create(model="gpt-4o", name="Tutor")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "3x + 11 = 14?"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed"
    reply = client.beta.threads.messages.list(thread.id).data[0].content[0].text.value
    assert reply == 'You said: "3x + 11 = 14?"'
"""


def test_an_azure_app_records_against_the_embedded_emulator_and_replays(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_app=AZURE_RUN)
    pytester.runpytest("--record").assert_outcomes(passed=1)
    text = (pytester.path / "cassettes" / "test_app" / "test_app.yaml").read_text()
    assert '"base_path": "/openai"' in text and '"api-version"' in text
    pytester.runpytest().assert_outcomes(passed=1)
