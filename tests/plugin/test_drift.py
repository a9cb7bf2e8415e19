"""`pytest --assistants-drift`: the selected tests run against the record backend as a
recording would, nothing is written, and a conversation that differs from the committed
cassette fails with the `harness diff` of the two."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.recorded_once import cassettes_recorded_once

APP = """
import pytest


@pytest.mark.assistants_cassette(brain="brain.yaml")
def test_tutor(openai_client):
    assistant = openai_client.beta.assistants.create(model="gpt-4o", name="Math Tutor")
    thread = openai_client.beta.threads.create(messages=[{"role": "user", "content": "3x + 11 = 14?"}])
    run = openai_client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status in ("completed", "failed")
    openai_client.beta.threads.messages.list(thread.id)


@pytest.mark.assistants_cassette
def test_threads(openai_client):
    thread = openai_client.beta.threads.create(metadata={"topic": "algebra"})
    assert openai_client.beta.threads.retrieve(thread.id).metadata == {"topic": "algebra"}
"""
SAYS = "- match: {message: '3x'}\n  actions: [{say: 'Subtract 11, then divide by 3: x = %s.'}]\n"
FAILS = "- match: {message: '3x'}\n  actions: [{fail: {code: server_error}}]\n"


def _project(pytester: pytest.Pytester, recording: Path) -> dict[str, str]:
    """The app recorded with its brain; the committed cassettes' text by name."""
    pytester.makepyfile(test_app=APP)
    (pytester.path / "brain.yaml").write_text(SAYS % 1)
    cassettes_recorded_once(
        pytester,
        recording,
        lambda: pytester.runpytest("-p", "no:cacheprovider", "--record").assert_outcomes(passed=2),
    )
    return _cassettes(pytester.path)


def _cassettes(root: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((root / "cassettes").rglob("*.yaml"))}


def _drift(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", "--assistants-drift", *args)


def test_an_unchanged_backend_passes_and_nothing_is_written(
    pytester: pytest.Pytester, recording: Path
) -> None:
    committed = _project(pytester, recording)
    result = _drift(pytester)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["drift check: 2 checked, 0 drifted"])
    assert _cassettes(pytester.path) == committed


def test_a_changed_brain_is_reported_with_the_diff(
    pytester: pytest.Pytester, recording: Path
) -> None:
    committed = _project(pytester, recording)
    (pytester.path / "brain.yaml").write_text(SAYS % 2)
    result = _drift(pytester)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_tutor.yaml: drift: the backend now answers differently from the committed cassette:",
            "harness diff *test_tutor.yaml (committed) fresh take: 1 of 1 cassette differs",
            "test_tutor.yaml: changed",
            "  messages:",
            "    ~ msg_? (assistant on thread_1)",
            '        ~ /text: "Subtract 11, then divide by 3: x = 1." -> "Subtract 11, then divide by 3: x = 2."',
            "If that is expected, re-record with: pytest --record 'test_app.py::test_tutor'",
        ]
    )
    result.stdout.fnmatch_lines(
        ["drifted: test_app.py::test_tutor", "drift check: 2 checked, 1 drifted"]
    )
    assert _cassettes(pytester.path) == committed, "a drift check never writes a cassette"


def test_a_different_status_path_is_named(pytester: pytest.Pytester, recording: Path) -> None:
    _project(pytester, recording)
    (pytester.path / "brain.yaml").write_text(FAILS)
    result = _drift(pytester, "-k", "tutor")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "    ~ run_1 status path: queued > in_progress > completed -> queued > in_progress > failed"
        ]
    )


@pytest.mark.slow
def test_drift_under_xdist(pytester: pytest.Pytester, recording: Path) -> None:
    committed = _project(pytester, recording)
    (pytester.path / "brain.yaml").write_text(SAYS % 3)
    result = _drift(pytester, "-n", "2")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*x = 1.* -> *x = 3.*", "drift check: 2 checked, 1 drifted"])
    assert _cassettes(pytester.path) == committed


def test_ci_does_not_stop_a_drift_check_and_a_missing_cassette_is_named(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, recording: Path
) -> None:
    committed = _project(pytester, recording)
    monkeypatch.setenv("CI", "true")
    _drift(pytester).assert_outcomes(passed=2)
    (pytester.path / "cassettes" / "test_app" / "test_threads.yaml").unlink()
    result = _drift(pytester)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["drift: nothing to compare with: *test_threads.yaml*not found*"])
    assert not (pytester.path / "cassettes" / "test_app" / "test_threads.yaml").exists()
    del committed["test_threads.yaml"]
    assert _cassettes(pytester.path) == committed


def test_drift_and_record_do_not_go_together(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_app=APP)
    result = pytester.runpytest("-p", "no:cacheprovider", "--assistants-drift", "--record")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --assistants-drift compares fresh takes*drop --record*"])


def test_drift_against_a_live_server(pytester: pytest.Pytester, echo_backend) -> None:
    _, seen = echo_backend
    pytester.makepyfile(
        test_live="""
import pytest

@pytest.mark.assistants_cassette
def test_thread(openai_client):
    assert openai_client.beta.threads.create().id == "obj_echo"
"""
    )
    live = ("-p", "no:cacheprovider", "--record-backend=live")
    pytester.runpytest(*live, "--record").assert_outcomes(passed=1)
    committed = _cassettes(pytester.path)
    seen.clear()
    result = pytester.runpytest(*live, "--assistants-drift")
    result.assert_outcomes(passed=1)
    assert len(seen) == 1, "the drift check asked the live server"
    assert _cassettes(pytester.path) == committed
