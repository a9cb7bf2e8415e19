"""Finding the function tools of scenario files."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.fuzz import scenario_tools, tool_cases

SCENARIO = """
name: quiz
assistant:
  name: Tutor
  model: gpt-4o
  tools:
    - type: code_interpreter
    - type: function
      function: {$ref: tools/quiz.json}
steps:
  - create_thread: {as: t}
  - update_assistant:
      tools:
        - type: function
          function: {$ref: tools/quiz.json}
        - type: function
          function: {name: lookup, parameters: {type: object, properties: {q: {type: string}}}}
"""


def test_tools_are_found_once_with_refs_resolved(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "quiz.json").write_text(
        '{"name": "quiz", "parameters": {"type": "object"}}'
    )
    (tmp_path / "quiz.yaml").write_text(SCENARIO)
    found = scenario_tools(tmp_path / "quiz.yaml")
    assert [name for name, _ in found] == ["quiz", "lookup"]
    assert found[0][1]["parameters"] == {"type": "object"}
    assert [case for case, _ in tool_cases([tmp_path / "quiz.yaml"])] == [
        "quiz:quiz",
        "quiz:lookup",
    ]


def test_a_missing_tool_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "quiz.yaml").write_text(SCENARIO)
    with pytest.raises(
        ScenarioError,
        match=r"quiz.yaml: /assistant/tools/1/function/\$ref: cannot load .*quiz.json",
    ) as info:
        scenario_tools(tmp_path / "quiz.yaml")
    assert "\n" not in str(info.value)


def test_the_committed_quiz_scenario_has_display_quiz() -> None:
    names = [name for name, _ in scenario_tools("scenarios/function_quiz.yaml")]
    assert names == ["display_quiz"]
