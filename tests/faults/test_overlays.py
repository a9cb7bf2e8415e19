"""Fault overlays over the committed seed cassettes: every fault kind against apps like the
seed scenarios', the recovery each app makes answered by the emulator from the recorded
state, and what a user sees when a fault does not fit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEADER = """
import pytest
from tests.faults import apps
from tests.faults.apps import QUIZ, STREAMED_QUIZ, TUTOR
"""


@pytest.fixture
def seeded(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with the committed seed cassettes under cassettes/scenarios/."""
    shutil.copytree(ROOT / "cassettes" / "scenarios", pytester.path / "cassettes" / "scenarios")
    return pytester


def _run(pytester: pytest.Pytester, body: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_app=HEADER + body)
    return pytester.runpytest("-p", "no:cacheprovider", "-rA", *args)


def test_quiz_app_handles_a_429_on_submit(seeded: pytest.Pytester) -> None:
    result = _run(
        seeded,
        """
@pytest.mark.assistants_cassette(name="scenarios/function_quiz", brain=QUIZ.brain)
@pytest.mark.assistants_faults("http429@run_1.submit_1")
def test_quiz(openai_client, assistants_cassette, assistants_fault):
    outcome = apps.quiz(openai_client)
    assert outcome.statuses == ["completed"]
    served = assistants_cassette.transcript().to_data()["requests"]
    submits = [line for line in served if line.endswith("submit_tool_outputs") or "submit_tool_outputs ->" in line]
    assert submits == [
        "POST /threads/thread_1/runs/run_1/submit_tool_outputs -> 429",
        "POST /threads/thread_1/runs/run_1/submit_tool_outputs",
    ], served   # the SDK retried, and replay never slept
    assert assistants_fault.id == "http429@run_1.submit_1"
    assert assistants_cassette.cassette().meta["faults"] == ["http429@run_1.submit_1"]
""",
    )
    result.assert_outcomes(passed=1)


def test_tutor_handles_a_failed_run_and_the_emulator_answers_its_retry(
    seeded: pytest.Pytester,
) -> None:
    result = _run(
        seeded,
        """
@pytest.mark.assistants_cassette(name="scenarios/math_tutor", brain=TUTOR.brain)
@pytest.mark.assistants_faults("failed@run_1")
def test_tutor(openai_client, assistants_cassette):
    outcome = apps.tutor(openai_client)
    assert outcome.statuses == ["failed", "completed"]
    assert outcome.errors == ["server_error"]
    # the retry ran under the scenario's brain, on the thread as the recording left it
    assert outcome.messages == [
        "I need to solve the equation `3x + 11 = 14`. Can you help me?",
        "Sure! Subtract 11 from both sides to get \\\\(3x = 3\\\\), then divide by 3 to find \\\\(x = 1\\\\).",
    ]
    runs = assistants_cassette.transcript().to_data()["runs"]
    assert [r["statuses"][-1] for r in runs] == ["failed", "completed"]
    assert runs[0]["thread"] == runs[1]["thread"] == "thread_1"
""",
    )
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("fault", "status", "error"),
    [
        ("failed@run_1", "failed", "server_error"),
        ("failed:rate_limit_exceeded@run_1", "failed", "rate_limit_exceeded"),
        ("expired@run_1", "expired", None),
        ("cancelled@run_1", "cancelled", None),
        ("incomplete@run_1", "incomplete", "max_completion_tokens"),
        ("incomplete:max_prompt_tokens@run_1", "incomplete", "max_prompt_tokens"),
    ],
)
def test_a_run_ends_early_at_its_poll_and_the_app_sees_how(
    seeded: pytest.Pytester, fault: str, status: str, error: str | None
) -> None:
    result = _run(
        seeded,
        f"""
@pytest.mark.assistants_cassette(name="scenarios/function_quiz", brain=QUIZ.brain)
@pytest.mark.assistants_faults({fault!r})
def test_quiz(openai_client):
    outcome = apps.quiz(openai_client, attempts=1)
    assert outcome.statuses == [{status!r}]
    assert outcome.errors == {[error] if error else []!r}
""",
    )
    result.assert_outcomes(passed=1)


def test_a_streamed_run_ends_with_the_fault_event_and_steps_are_closed(
    seeded: pytest.Pytester,
) -> None:
    result = _run(
        seeded,
        """
@pytest.mark.assistants_cassette(name="scenarios/streaming_quiz", brain=STREAMED_QUIZ.brain)
@pytest.mark.assistants_faults("cancelled@run_1.poll_3")
def test_quiz(openai_client, assistants_cassette):
    outcome = apps.streamed_quiz(openai_client)
    assert outcome.statuses == ["cancelled"]
    (stream,) = assistants_cassette.transcript().to_data()["streams"]
    assert stream["events"][-3:] == ["thread.run.step.cancelled", "thread.run.cancelled", "done"]
    assert "thread.run.requires_action" not in stream["events"]
""",
    )
    result.assert_outcomes(passed=1)


def test_http_errors_at_a_request_a_poll_or_a_creation_are_retried_by_the_sdk(
    seeded: pytest.Pytester,
) -> None:
    result = _run(
        seeded,
        """
@pytest.mark.assistants_cassette(name="scenarios/function_quiz", brain=QUIZ.brain)
@pytest.mark.assistants_faults("http503@request_2", "http500@run_1.poll_2", "http500@run_1.create")
def test_quiz(openai_client, assistants_cassette):
    assert apps.quiz(openai_client).statuses == ["completed"]
    errors = [e["request"] + " " + str(e["status"]) for e in assistants_cassette.transcript().to_data()["errors"]]
    assert errors == [
        "POST /threads 503",
        "POST /threads/thread_1/runs 500",
        "GET /threads/thread_1/runs/run_1 500",
    ]
""",
    )
    result.assert_outcomes(passed=1)


def test_an_app_without_retries_sees_the_error(seeded: pytest.Pytester) -> None:
    result = _run(
        seeded,
        """
import openai

@pytest.mark.assistants_cassette(name="scenarios/function_quiz", brain=QUIZ.brain)
@pytest.mark.assistants_faults("http429@run_1.create")
def test_quiz(openai_client):
    with pytest.raises(openai.RateLimitError) as raised:
        apps.quiz(openai_client.with_options(max_retries=0))
    assert raised.value.response.headers["retry-after"] == "1"
""",
    )
    result.assert_outcomes(passed=1)


def test_a_cut_stream_is_followed_by_polling_the_emulator_carries_the_run_on(
    seeded: pytest.Pytester,
) -> None:
    result = _run(
        seeded,
        """
@pytest.mark.assistants_cassette(name="scenarios/streaming_quiz", brain=STREAMED_QUIZ.brain)
@pytest.mark.assistants_faults("cut@stream_1.event_5")
def test_quiz(openai_client, assistants_cassette):
    outcome = apps.streamed_quiz(openai_client)
    assert outcome.statuses == ["completed"]
    assert outcome.messages[-1].startswith("Here is the feedback for your responses: [")
    data = assistants_cassette.transcript().to_data()
    assert len(data["streams"][0]["events"]) == 5
    assert "GET /threads/thread_1/runs/run_1" in data["requests"]  # the app's own recovery
""",
    )
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("fault", "feedback"),
    [
        ("arguments:malformed@call_1", "bad arguments: Unterminated string"),
        ("arguments:empty@call_1", "bad arguments: display_quiz() missing 2 required"),
        (
            'arguments:{"title": "T", "questions": [{"question_text": "1+1?", '
            '"question_type": "MULTIPLE_CHOICE"}]}@call_1',
            'Here is the feedback for your responses: ["a"]',
        ),
    ],
)
def test_replaced_arguments_reach_the_handler_and_the_run_goes_on_with_its_output(
    seeded: pytest.Pytester, fault: str, feedback: str
) -> None:
    result = _run(
        seeded,
        f"""
@pytest.mark.assistants_cassette(name="scenarios/function_quiz", brain=QUIZ.brain)
@pytest.mark.assistants_faults({fault!r})
def test_quiz(openai_client):
    outcome = apps.quiz(openai_client)
    assert outcome.statuses == ["completed"]
    # the brain's feedback quotes what the app submitted for the replaced arguments
    assert {feedback!r} in outcome.messages[-1], outcome.messages[-1]
""",
    )
    result.assert_outcomes(passed=1)


def test_each_gives_the_whole_matrix_with_stable_readable_ids(seeded: pytest.Pytester) -> None:
    body = """
@pytest.mark.assistants_cassette(name="scenarios/streaming_quiz", brain=STREAMED_QUIZ.brain)
@pytest.mark.assistants_faults(faults="each")
def test_quiz(openai_client, assistants_fault):
    outcome = apps.streamed_quiz(openai_client)
    expected = assistants_fault.name if assistants_fault.kind == "run" else "completed"
    assert outcome.statuses == [expected]
"""
    collected = _run(seeded, body, "--collect-only", "-q")
    ids = [line for line in collected.stdout.lines if line.startswith("test_app.py::")]
    assert ids == [
        f"test_app.py::test_quiz[{fault}]"
        for fault in (
            "failed@run_1",
            "failed:rate_limit_exceeded@run_1",
            "expired@run_1",
            "cancelled@run_1",
            "incomplete@run_1",
            "http429@run_1.create",
            "http500@run_1.create",
            "http503@run_1.create",
            "http429@run_1.submit_1",
            "http500@run_1.submit_1",
            "http503@run_1.submit_1",
            "cut@stream_1.event_17",
            "cut@stream_2.event_9",
            "arguments:empty@call_1",
            "arguments:malformed@call_1",
        )
    ]
    result = seeded.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=15)


def test_each_can_be_narrowed_to_some_kinds_and_a_list_parametrizes_too(
    seeded: pytest.Pytester,
) -> None:
    body = """
@pytest.mark.assistants_cassette(name="scenarios/math_tutor", brain=TUTOR.brain)
@pytest.mark.assistants_faults(faults="each", kinds=["run", "http503"])
def test_tutor(openai_client):
    apps.tutor(openai_client)

@pytest.mark.assistants_cassette(name="scenarios/math_tutor", brain=TUTOR.brain)
@pytest.mark.assistants_faults(faults=["expired@run_1", "http500@request_1"])
def test_listed(openai_client):
    assert apps.tutor(openai_client).statuses[-1] == "completed"

@pytest.mark.assistants_cassette(name="scenarios/math_tutor")
@pytest.mark.assistants_faults(faults="each", kinds="run")
def test_kinds_as_text(openai_client):
    pass
"""
    result = _run(seeded, body, "-v")
    result.assert_outcomes(passed=8, errors=1)
    result.stdout.fnmatch_lines(
        ["*test_kinds_as_text*: assistants_faults: kinds must be a list of *"]
    )
    result.stdout.fnmatch_lines(
        [
            "*test_tutor?failed@run_1? PASSED*",
            "*test_tutor?incomplete@run_1? PASSED*",
            "*test_tutor?http503@run_1.create? PASSED*",
            "*test_listed?expired@run_1? PASSED*",
            "*test_listed?http500@request_1? PASSED*",
        ]
    )
    assert "test_tutor[http429" not in result.stdout.str()


def test_a_fault_finds_an_app_that_does_not_handle_it(seeded: pytest.Pytester) -> None:
    result = _run(
        seeded,
        """
from harness.scenarios import ScenarioRunner, check

@pytest.mark.assistants_cassette(name="scenarios/function_quiz", brain=QUIZ.brain)
@pytest.mark.assistants_faults(faults=["expired@run_1", "arguments:empty@call_1"])
def test_seed_runner(openai_client):
    outcome = ScenarioRunner(openai_client, QUIZ).run()   # no recovery, no argument checks
    assert check(QUIZ, outcome) == []
""",
    )
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*run run: expected status completed, got expired*",
            "*TypeError*display_quiz*",
        ]
    )


def test_other_threads_replay_on_while_the_faulted_one_goes_to_the_emulator(
    seeded: pytest.Pytester,
) -> None:
    result = _run(
        seeded,
        """
from harness.scenarios import ScenarioRunner, load_scenario
from tests.faults.apps import ROOT

CONCURRENT = load_scenario(ROOT / "scenarios" / "concurrent_threads.yaml")

@pytest.mark.assistants_cassette(name="scenarios/concurrent_threads", brain=CONCURRENT.brain)
@pytest.mark.assistants_faults("failed@run_2")
def test_concurrent(openai_client, assistants_cassette):
    outcome = ScenarioRunner(openai_client, CONCURRENT).run()
    assert outcome.runs == {"run1": "completed", "run2": "failed", "run3": "completed", "run4": "completed"}
""",
    )
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("failed@run_3", "fault failed@run_3: the recording has no run_3 (its runs: run_1)"),
        (
            "http500@run_1.submit_1",
            "fault http500@run_1.submit_1: run_1 got 0 tool-output submissions",
        ),
        (
            "failed@run_1.poll_9",
            "fault failed@run_1.poll_9: run_1 was polled 2 times in the recording",
        ),
        (
            "failed@run_1.poll_2",
            "fault failed@run_1.poll_2: run_1's poll 2 shows it completed: it can no longer end",
        ),
        ("exploded@run_1", "exploded@run_1: unknown fault 'exploded'; choose from failed, expired"),
        (
            "failed:oops@run_1",
            "failed:oops@run_1: failed takes server_error or rate_limit_exceeded",
        ),
        ("cut@run_1", "cut@run_1: cut cannot strike run_1"),
        (
            "failed run 1",
            "test_app.py::test_tutor: assistants_faults: 'failed run 1' is not a fault; write NAME",
        ),
    ],
)
def test_a_fault_that_cannot_strike_fails_the_test_with_one_line(
    seeded: pytest.Pytester, fault: str, message: str
) -> None:
    result = _run(
        seeded,
        f"""
@pytest.mark.assistants_cassette(name="scenarios/math_tutor")
@pytest.mark.assistants_faults({fault!r})
def test_tutor(openai_client):
    apps.tutor(openai_client)
""",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*{message}*"])
    assert "Traceback" not in result.stdout.str()


def test_a_fault_that_never_strikes_is_reported(seeded: pytest.Pytester) -> None:
    result = _run(
        seeded,
        """
@pytest.mark.assistants_cassette(name="scenarios/math_tutor", brain=TUTOR.brain)
@pytest.mark.assistants_faults("http500@request_40")
def test_tutor(openai_client):
    apps.tutor(openai_client)
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*fault http500@request_40 never struck*"])


def test_recording_runs_a_marked_test_once_without_faults(pytester: pytest.Pytester) -> None:
    body = """
@pytest.mark.assistants_cassette
@pytest.mark.assistants_faults(faults="each")
def test_tutor(openai_client, assistants_fault):
    assert assistants_fault is None
    assert apps.tutor(openai_client).statuses[-1] == "completed"
"""
    missing = _run(pytester, body)
    missing.assert_outcomes(errors=1)  # no cassette yet: one test that says how to record it
    missing.stdout.fnmatch_lines(["*record it with: pytest --record 'test_app.py::test_tutor'"])
    _run(pytester, body, "--record").assert_outcomes(passed=1)
    body = body.replace("assert assistants_fault is None", "assert assistants_fault is not None")
    replayed = _run(pytester, body)
    replayed.assert_outcomes(passed=8)  # five run ends and three HTTP errors at its creation


def test_each_with_a_cassette_folder_from_a_fixture_says_it_cannot_expand(
    seeded: pytest.Pytester,
) -> None:
    own = seeded.path / "elsewhere" / "test_app" / "test_tutor.yaml"
    own.parent.mkdir(parents=True)
    shutil.copy(seeded.path / "cassettes" / "scenarios" / "math_tutor.yaml", own)
    seeded.makeconftest(
        """
import pytest

@pytest.fixture
def assistants_cassette_dir(pytestconfig):
    return pytestconfig.rootpath / "elsewhere"
"""
    )
    body = """
@pytest.mark.assistants_cassette(brain=TUTOR.brain)
@pytest.mark.assistants_faults(faults="each")
def test_tutor(openai_client):
    apps.tutor(openai_client)
"""
    result = _run(seeded, body)
    result.assert_outcomes(errors=1)  # never a quiet replay without its faults
    result.stdout.fnmatch_lines(
        [
            "*test_tutor: assistants_faults(faults='each') reads the cassette while tests are "
            "collected, from the ini assistants_cassette_dir (*cassettes), not from this test's "
            "assistants_cassette_dir fixture (*elsewhere): list the faults*"
        ]
    )
    listed = _run(seeded, body.replace('faults="each"', 'faults=["failed@run_1"]'))
    listed.assert_outcomes(passed=1)


def test_before_any_fault_strikes_a_request_the_recording_lacks_fails_as_in_replay(
    seeded: pytest.Pytester,
) -> None:
    result = _run(
        seeded,
        """
@pytest.mark.assistants_cassette(name="scenarios/math_tutor", brain=TUTOR.brain)
@pytest.mark.assistants_faults("failed@run_1")
def test_tutor(openai_client):
    client = openai_client
    assistant = client.beta.assistants.create(**TUTOR.assistant)
    thread = client.beta.threads.create()
    client.beta.threads.messages.create(thread.id, role="user", content="something else")
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*No recorded response for POST /threads/thread_*/messages in *math_tutor.yaml "
            "(before any fault struck).",
            "Nearest recorded requests:",
        ]
    )


def test_the_faults_marker_alone_overlays_the_tests_own_cassette(
    seeded: pytest.Pytester,
) -> None:
    own = seeded.path / "cassettes" / "test_app" / "test_tutor.yaml"
    own.parent.mkdir(parents=True)
    shutil.copy(seeded.path / "cassettes" / "scenarios" / "math_tutor.yaml", own)
    result = _run(
        seeded,
        """
@pytest.mark.assistants_faults("cancelled@run_1")
def test_tutor(openai_client):
    assert apps.tutor(openai_client).statuses[0] == "cancelled"
""",
    )
    result.assert_outcomes(passed=1)


def test_faults_combine_with_parametrize_each_needs_the_tests_one_cassette(
    seeded: pytest.Pytester,
) -> None:
    for attempts in (2, 3):
        own = seeded.path / "cassettes" / "test_app" / f"test_tutor[{attempts}].yaml"
        own.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(seeded.path / "cassettes" / "scenarios" / "math_tutor.yaml", own)
    result = _run(
        seeded,
        """
@pytest.mark.parametrize("attempts", [2, 3])
@pytest.mark.assistants_cassette(brain=TUTOR.brain)
@pytest.mark.assistants_faults(faults=["failed@run_1", "http500@run_1.create"])
def test_tutor(openai_client, attempts, assistants_fault):
    assert apps.tutor(openai_client, attempts).statuses[-1] == "completed"

@pytest.mark.parametrize("attempts", [2])
@pytest.mark.assistants_cassette
@pytest.mark.assistants_faults(faults="each")
def test_each(openai_client, attempts):
    pass
""",
        "-v",
    )
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_tutor?2-failed@run_1? PASSED*",
            "*test_tutor?3-http500@run_1.create? PASSED*",
            "*faults='each') reads the faults from the test's one cassette*",
        ]
    )
