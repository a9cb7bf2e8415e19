"""`--record-mode` none | once | new_episodes | all, and `--record`."""

from __future__ import annotations

import pytest

ONE_CALL = """
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    openai_client.beta.threads.create(metadata={"n": "1"})
"""

TWO_CALLS = """
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    openai_client.beta.threads.create(metadata={"n": "1"})
    openai_client.beta.threads.create(metadata={"n": "2"})
"""


def _cassette(pytester: pytest.Pytester):
    return pytester.path / "cassettes" / "test_app" / "test_app.yaml"


def test_once_records_only_when_missing(pytester: pytest.Pytester, echo_backend) -> None:
    _, seen = echo_backend
    pytester.makepyfile(test_app=ONE_CALL)
    pytester.runpytest("--record-mode=once", "--record-backend=live").assert_outcomes(passed=1)
    assert len(seen) == 1
    before = _cassette(pytester).read_bytes()
    pytester.runpytest("--record-mode=once", "--record-backend=live").assert_outcomes(passed=1)
    assert len(seen) == 1, "an existing cassette is replayed, not re-recorded"
    assert _cassette(pytester).read_bytes() == before


def test_new_episodes_appends_and_keeps_the_rest(pytester: pytest.Pytester, echo_backend) -> None:
    _, seen = echo_backend
    pytester.makepyfile(test_app=ONE_CALL)
    pytester.runpytest("--record", "--record-backend=live").assert_outcomes(passed=1)
    pytester.makepyfile(test_app=TWO_CALLS)
    result = pytester.runpytest("--record-mode=new_episodes", "--record-backend=live")
    result.assert_outcomes(passed=1)
    assert [s["body"] for s in seen][1:] == ['{"metadata":{"n":"2"}}']
    text = _cassette(pytester).read_text()
    assert text.index('"n": "1"') < text.index('"n": "2"')
    pytester.runpytest().assert_outcomes(passed=1)


def test_all_rerecords_everything(pytester: pytest.Pytester, echo_backend) -> None:
    _, seen = echo_backend
    pytester.makepyfile(test_app=ONE_CALL)
    pytester.runpytest("--record-mode=all", "--record-backend=live").assert_outcomes(passed=1)
    pytester.runpytest("--record-mode=all", "--record-backend=live").assert_outcomes(passed=1)
    assert len(seen) == 2


def test_none_is_the_default_and_never_records(pytester: pytest.Pytester, echo_backend) -> None:
    _, seen = echo_backend
    pytester.makepyfile(test_app=ONE_CALL)
    pytester.runpytest("--record-mode=none", "--record-backend=live").assert_outcomes(errors=1)
    assert seen == [] and not _cassette(pytester).exists()


def test_unknown_backend_in_ini_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nassistants_record_backend = cloud\n")
    pytester.makepyfile(test_app=ONE_CALL)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*assistants_record_backend: unknown backend 'cloud'; choose emulator or live"]
    )
