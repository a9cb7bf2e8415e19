"""The project's own function tools, contract-tested the way a user would."""

from __future__ import annotations

import glob

import pytest

from harness.fuzz import assert_no_drift, assert_tool_contract, lint_tool, tool_cases
from scenarios import handlers

HANDLERS = {"display_quiz": handlers.display_quiz}


@pytest.mark.assistants_tool_contract(
    "scenarios/function_quiz.yaml", "scenarios/streaming_quiz.yaml"
)
def test_seed_handlers_survive_every_argument_their_schema_admits(assistants_tool) -> None:
    # The seed's handler does no validation, so it may answer invalid input too.
    assert_tool_contract(
        HANDLERS[assistants_tool["name"]],
        assistants_tool,
        invalid_may_succeed=True,
        max_examples=60,
    )


def test_recorded_tool_calls_still_fit_the_current_schemas() -> None:
    cassettes = sorted(glob.glob("cassettes/**/*.yaml", recursive=True))
    cassettes = [c for c in cassettes if not c.endswith(".failed.yaml")]
    tools = [tool for _, tool in tool_cases(sorted(glob.glob("scenarios/*.yaml")))]
    assert any("quiz" in c for c in cassettes), "the scenario cassettes are committed"
    assert_no_drift(cassettes, tools)


def test_seed_tool_is_not_strict_so_lint_only_advises() -> None:
    (tool,) = {t["name"]: t for _, t in tool_cases(["scenarios/function_quiz.yaml"])}.values()
    findings = lint_tool(tool)
    assert findings and all(f.severity == "advice" for f in findings)
