"""Scenario files that say `api: responses | both`: the Responses runner plays them as a ported
app would (its own function-call loop over previous_response_id), and `both` holds the two
conversations to each other. The Responses side is recorded from the scripted loopback server
(the emulator does not serve that API yet)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.parity.conftest import RULES
from tests.support.responses_server import responses_server

ROOT = Path(__file__).resolve().parents[2]


def _project(pytester: pytest.Pytester, *names: str, extra: str = "") -> None:
    folder = pytester.path / "scenarios"
    shutil.copytree(ROOT / "scenarios" / "tools", folder / "tools")
    shutil.copy(ROOT / "scenarios" / "handlers.py", folder / "handlers.py")
    (folder / "__init__.py").write_text("")
    for name in names:
        text = (ROOT / "scenarios" / f"{name}.yaml").read_text().replace("api: both\n", "", 1)
        text = text.replace(f"name: {name}\n", f"name: {name}\napi: both\n{extra}", 1)
        (folder / f"{name}.yaml").write_text(text)
    pytester.makeini(
        "[pytest]\ntestpaths = scenarios\npythonpath = .\nassistants_scenario_dirs = scenarios\n"
    )


def reword(rule: dict[str, object]) -> dict[str, object]:
    """The follow-up's answer in other words."""
    return {**rule, "say": "Subtract 11, then divide by 3."} if rule["match"] == "explain" else rule


def _record_both(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, rules: list[dict[str, object]]
) -> pytest.RunResult:
    scenarios = len(list((pytester.path / "scenarios").glob("*.yaml")))
    pytester.runpytest(
        "-p", "no:cacheprovider", "--record", "--snapshot-update", "-k", "not responses"
    ).assert_outcomes(passed=scenarios)
    with responses_server(rules=rules) as app:
        monkeypatch.setenv("OPENAI_BASE_URL", app.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        recorded = pytester.runpytest(
            "-p", "no:cacheprovider", "--record", "--record-backend=live", "-k", "responses"
        )
    monkeypatch.delenv("OPENAI_BASE_URL")
    return recorded


def test_a_scenario_played_through_both_apis_holds_one_conversation(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(pytester, "function_quiz", "follow_up", "concurrent_threads")
    _record_both(pytester, monkeypatch, RULES).assert_outcomes(passed=3)
    cassettes = pytester.path / "cassettes" / "scenarios"
    assert sorted(p.name for p in cassettes.glob("*.yaml")) == [
        "concurrent_threads.responses.yaml",
        "concurrent_threads.yaml",
        "follow_up.responses.yaml",
        "follow_up.yaml",
        "function_quiz.responses.yaml",
        "function_quiz.yaml",
    ]
    replayed = pytester.runpytest("-p", "no:cacheprovider", "-v")
    replayed.assert_outcomes(passed=6)
    replayed.stdout.fnmatch_lines(["*function_quiz_responses PASSED*"])


def test_the_two_apis_differing_fails_the_responses_side(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(pytester, "function_quiz", "follow_up")
    reworded = [reword(rule) for rule in RULES]
    recorded = _record_both(pytester, monkeypatch, reworded)
    recorded.assert_outcomes(passed=1, failed=1)
    recorded.stdout.fnmatch_lines(
        [
            "*follow_up.responses.yaml does not hold the conversation *follow_up.yaml holds:",
            '*turn 2: the assistant answered "Certainly! To isolate*" before, and '
            '"Subtract 11, then divide by 3." now',
        ]
    )


def test_accepted_differences_in_the_scenario_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(pytester, "function_quiz", "follow_up", extra="accept: [wording]\n")
    reworded = [reword(rule) for rule in RULES]
    _record_both(pytester, monkeypatch, reworded).assert_outcomes(passed=2)


def test_a_streamed_scenario_through_both_apis(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The streaming twin's brain words its feedback shorter than the server's model does.
    _project(pytester, "streaming_quiz", "streaming_math_tutor", extra="accept: [wording]\n")
    _record_both(pytester, monkeypatch, RULES).assert_outcomes(passed=2)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=4)
    recorded = (
        pytester.path / "cassettes" / "scenarios" / "streaming_quiz.responses.yaml"
    ).read_text()
    assert "response.output_text.delta" in recorded


@pytest.mark.parametrize(
    ("scenario", "extra", "message"),
    [
        (
            "failure_paths",
            "",
            "*failure_paths.yaml: /api: both, but not_in_responses says the Responses API "
            "cannot express it",
        ),
        ("math_tutor", "not_in_responses: why not\n", "*/api: both, but not_in_responses*"),
    ],
)
def test_a_scenario_the_responses_api_cannot_express_is_one_line(
    pytester: pytest.Pytester, scenario: str, extra: str, message: str
) -> None:
    _project(pytester, scenario, extra=extra)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([message])
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_a_step_without_a_responses_counterpart_is_named(pytester: pytest.Pytester) -> None:
    _project(pytester, "math_tutor")
    path = pytester.path / "scenarios" / "math_tutor.yaml"
    path.write_text(
        path.read_text().replace(
            "  - list_messages: {thread: thread}\n", "  - delete_thread: {thread: thread}\n"
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(
        [
            "*math_tutor.yaml: /api: both: the Responses API cannot express /steps/3: a deleted "
            "thread*(keep api: assistants and say why in not_in_responses)"
        ]
    )
