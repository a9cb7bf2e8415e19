"""What a user sees when replay cannot go on, and what happens to cassettes."""

from __future__ import annotations

import pytest

TESTS = """
import openai
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    openai_client.beta.threads.create(metadata={"user": "ada"})
"""

CHANGED = """
import openai
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    openai_client.beta.threads.create(metadata={"user": "grace"})
"""

SWALLOWED = """
import openai
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    try:
        openai_client.beta.threads.create(metadata={"user": "grace"})
    except Exception:
        pass  # an app that hides errors must still fail in replay
"""

FAILING = """
import openai
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    openai_client.beta.threads.create(metadata={"user": "grace"})
    assert False, "the app broke"
"""


def test_missing_cassette_names_the_command(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_app=TESTS)
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*cassettes/test_app/test_app.yaml: cassette not found; record it with: "
            "pytest --record 'test_app.py::test_app'"
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_ci_never_records_a_missing_cassette(
    pytester: pytest.Pytester, echo_backend, monkeypatch
) -> None:
    _, seen = echo_backend
    monkeypatch.setenv("CI", "true")
    pytester.makepyfile(test_app=TESTS)
    result = pytester.runpytest("--record-mode=once", "--record-backend=live")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "assistants: CI=true, so recording is off*HARNESS_RECORD_IN_CI=1*",
            "*cassette not found; CI=true never records (set HARNESS_RECORD_IN_CI=1 to allow it);"
            " record it locally with: pytest --record --record-backend=live 'test_app.py::test_app'",
        ]
    )
    assert seen == []


def test_unmatched_request_shows_nearest_and_diff(pytester: pytest.Pytester, echo_backend) -> None:
    pytester.makepyfile(test_app=TESTS)
    pytester.runpytest("--record", "--record-backend=live").assert_outcomes(passed=1)
    for source in (CHANGED, SWALLOWED):
        pytester.makepyfile(test_app=source)
        result = pytester.runpytest()
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            [
                "*No recorded response for POST /threads in *test_app.yaml.",
                "*Nearest recorded requests:",
                "*1. POST /threads",
                '*-      "user": "ada"',
                '*+      "user": "grace"',
                "*To re-record this test: pytest --record --record-backend=live 'test_app.py::test_app'",
            ]
        )


def test_failed_recording_keeps_old_cassette(pytester: pytest.Pytester, echo_backend) -> None:
    pytester.makepyfile(test_app=TESTS)
    pytester.runpytest("--record", "--record-backend=live").assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_app" / "test_app.yaml"
    before = cassette.read_bytes()

    pytester.makepyfile(test_app=FAILING)
    result = pytester.runpytest("--record", "--record-backend=live")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*kept failed recording: *test_app.failed.yaml"])
    assert cassette.read_bytes() == before
    failed = cassette.with_name("test_app.failed.yaml")
    assert '"user": "grace"' in failed.read_text()

    pytester.makepyfile(test_app=CHANGED)
    pytester.runpytest("--record", "--record-backend=live").assert_outcomes(passed=1)
    assert '"user": "grace"' in cassette.read_text()
    assert not failed.exists(), "a passing take replaces the failed one"


def test_corrupt_cassette_is_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_app=TESTS)
    cassette = pytester.path / "cassettes" / "test_app" / "test_app.yaml"
    cassette.parent.mkdir(parents=True)
    cassette.write_text('format: 1\nmeta: {}\ninteractions:\n- request: {"method": \n')
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*test_app.yaml: line * not valid YAML*"])
    assert "Traceback" not in result.stdout.str()
