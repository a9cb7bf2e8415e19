"""Planted secrets never reach a cassette, a failed recording or an error message.

A recording runs through the public interface (`pytest --record
--record-backend=live`) against the loopback echo server, which sends every
secret straight back in JSON bodies, SSE events and response headers. Then
every file in the run's folder and everything pytest printed are searched
for each value, any 12-character piece of it and its base64 forms. The
shapes one by one: `test_secret_*.py`; verify and scrub: `test_verify_scrub.py`.
"""

from __future__ import annotations

import io
import json
import os
import secrets as random_secrets
import textwrap
from pathlib import Path

import pytest

from harness.cassette.format import loads
from harness.verify import scrub_main, verify_main
from tests.reliability.leaks import assert_no_leaks, leaks

USER_PATTERN = r"ACME-[0-9a-f]{20}"


def _hex(n: int = 24) -> str:
    return random_secrets.token_hex(n // 2)


def planted() -> dict[str, str]:
    """One fresh value per secret kind (fresh per test, so nothing is found by luck)."""
    return {
        "bearer_key": "sk-PLANTEDbearer" + _hex(),
        "project_key_in_body": "sk-proj-PLANTEDbody" + _hex(),
        "service_key_in_metadata": "sk-svcacct-PLANTED" + _hex(),
        "azure_api_key_header": "azhdr" + _hex(32),
        "azure_api_key_query": "azqry" + _hex(32),
        "x_api_key_header": "xak" + _hex(32),
        "organization_request": "org-PLANTEDreq" + _hex(),
        "project_request": "proj_PLANTEDreq" + _hex(),
        "organization_response": "orgresp" + _hex(),
        "project_response": "projresp" + _hex(),
        "cookie": "ck" + _hex(),
        "set_cookie": "sc" + _hex(),
        "token_query": "tq" + _hex(),
        "key_in_sse_only": "sk-PLANTEDsse" + _hex(),
        "user_pattern": "ACME-" + _hex(20),
        "bearer_custom_header": "bt" + _hex(),
        "jwt_in_body": "eyJ" + _hex(16) + "." + "eyJ" + _hex(16) + "." + _hex(24),
        "key_in_uploaded_file": "sk-PLANTEDfile" + _hex(),
    }


# The test file pytester runs: secrets come from secrets.json, so a traceback
# that shows source lines shows no secret.
TEST_FILE = textwrap.dedent(
    """
    import json
    from pathlib import Path

    import openai
    import pytest

    S = json.loads((Path(__file__).parent / "secrets.json").read_text())


    def client():
        return openai.OpenAI(
            default_headers={
                "api-key": S["azure_api_key_header"],
                "x-api-key": S["x_api_key_header"],
                "Cookie": "sid=" + S["cookie"],
                "x-custom-auth": "Bearer " + S["bearer_custom_header"],
                "x-echo-openai-organization": S["organization_response"],
                "x-echo-openai-project": S["project_response"],
                "x-echo-set-cookie": "session=" + S["set_cookie"] + "; Path=/; HttpOnly",
            },
            default_query={"api-key": S["azure_api_key_query"]},
            max_retries=0,
        )


    def conversation():
        c = client()
        c.beta.assistants.create(
            model="gpt-4o",
            instructions="my key is " + S["project_key_in_body"],
            metadata={"svc": S["service_key_in_metadata"], "jwt": S["jwt_in_body"]},
        )
        c.beta.threads.messages.create(
            "thread_1", role="user", content="code " + S["user_pattern"]
        )
        c.beta.threads.messages.list("thread_1", extra_query={"token": S["token_query"]})
        stream = c.beta.threads.runs.create(
            thread_id="thread_1",
            assistant_id="asst_1",
            additional_instructions="sse " + S["key_in_sse_only"],
            stream=True,
        )
        events = [event.event for event in stream]
        assert "thread.run.completed" in events
        c.files.create(
            file=("notes.txt", ("key=" + S["key_in_uploaded_file"]).encode()),
            purpose="assistants",
        )


    @pytest.mark.assistants_cassette
    def test_records():
        conversation()


    @pytest.mark.assistants_cassette
    def test_fails_after_recording():
        conversation()
        raise RuntimeError("the app broke after its last request")
    """
)


def _run_recording(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    base_url: str,
    values: dict[str, str],
    *args: str,
) -> pytest.RunResult:
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    monkeypatch.setenv("OPENAI_API_KEY", values["bearer_key"])
    monkeypatch.setenv("OPENAI_ORG_ID", values["organization_request"])
    monkeypatch.setenv("OPENAI_PROJECT_ID", values["project_request"])
    (pytester.path / "secrets.json").write_text(json.dumps(values))
    pytester.makeini(f"[pytest]\nassistants_redact_patterns =\n    {USER_PATTERN}\n")
    pytester.makepyfile(test_planted=TEST_FILE)
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def test_planted_secrets_never_reach_a_cassette_or_the_output(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    echo: tuple[str, list[dict[str, object]]],
) -> None:
    base_url, seen = echo
    values = planted()
    assert len(values) >= 15

    result = _run_recording(
        pytester, monkeypatch, base_url, values, "--record", "--record-backend=live"
    )

    result.assert_outcomes(passed=1, failed=1)
    # Every secret really went out, so the server echoed each one back.
    sent = json.dumps(seen)
    assert [kind for kind, value in values.items() if value not in sent] == []
    cassettes = pytester.path / "cassettes" / "test_planted"
    written = sorted(p.name for p in cassettes.iterdir())
    assert written == [
        ".gitignore",
        "test_fails_after_recording.failed.html",  # its trace page: scanned for leaks too
        "test_fails_after_recording.failed.yaml",
        "test_records.yaml",
    ]
    assert_no_leaks(pytester.path, result.stdout.str() + result.stderr.str(), values)
    # What the recorder wrote also passes `harness verify`.
    out = io.StringIO()
    assert verify_main([str(cassettes)], [USER_PATTERN], out=out) == 0, out.getvalue()
    # And the recording is still a faithful one: bodies kept, secrets replaced.
    cassette = loads((cassettes / "test_records.yaml").read_text())
    paths = [i.request.path for i in cassette.interactions]
    assert paths == [
        "/assistants",
        "/threads/thread_1/messages",
        "/threads/thread_1/messages",
        "/threads/thread_1/runs",
        "/files",
    ]
    assert cassette.interactions[0].request.body["instructions"] == "my key is <redacted>"
    assert cassette.interactions[3].response.events is not None


def test_replay_miss_message_holds_no_secrets(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    echo: tuple[str, list[dict[str, object]]],
) -> None:
    """Replay of a request the cassette lacks prints the request, redacted."""
    base_url, _ = echo
    values = planted()
    _run_recording(pytester, monkeypatch, base_url, values, "--record", "--record-backend=live")
    # New values: the replayed requests now differ from the recorded ones.
    fresh = planted()
    (pytester.path / "secrets.json").write_text(json.dumps(fresh))
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret != 0
    output = result.stdout.str() + result.stderr.str()
    assert "No recorded response for" in output
    assert leaks(output, values) == []
    assert leaks(output, fresh) == []


def test_scrub_replaces_the_file_atomically_and_keeps_everything_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-" + "proj-LEAKED" + random_secrets.token_hex(12)  # no key-shaped literal
    path = tmp_path / "cassettes" / "hand.yaml"
    path.parent.mkdir()
    path.write_text(
        "format: 1\n"
        'meta: {"base_path": "/v1"}\n'
        "interactions:\n"
        '- request: {"method": "POST", "path": "/assistants",\n'
        f'    "body": {{"model": "gpt-4o", "instructions": "use {key}"}}}}\n'
        '  response: {"status": 200,\n'
        '    "body": {"id": "asst_1", "object": "assistant", "api_key": "plain0123456789"}}\n'
    )
    before = loads(path.read_text())
    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        replaced.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    out = io.StringIO()
    assert scrub_main([str(path)], [], out=out) == 0
    assert out.getvalue().endswith(f"{path}: scrubbed (2 removed)\n")
    # The file was swapped in whole, from a temporary file in the same folder.
    assert len(replaced) == 1 and replaced[0][1] == str(path)
    assert Path(replaced[0][0]).parent == path.parent
    assert sorted(p.name for p in path.parent.iterdir()) == ["hand.yaml"]
    after = loads(path.read_text())
    assert after.interactions[0].request.body == {
        "model": "gpt-4o",
        "instructions": "use <redacted>",
    }
    assert after.interactions[0].response.body == {
        "id": "asst_1",
        "object": "assistant",
        "api_key": "<redacted>",
    }
    assert after.meta == before.meta
    out = io.StringIO()
    assert verify_main([str(path)], [], out=out) == 0, out.getvalue()
