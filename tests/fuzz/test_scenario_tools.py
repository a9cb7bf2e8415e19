"""Finding function tools in scenario files, and the Hypothesis profiles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import settings

from harness.errors import ScenarioError
from harness.fuzz import register_profiles, scenario_tools, tool_cases
from tests.fuzz._fuzz_data import DISPLAY_QUIZ

SCENARIO = """\
name: function_quiz
assistant:
  name: Math Tutor
  model: gpt-4o
  tools:
    - type: code_interpreter
    - type: function
      function:
        name: display_quiz
        description: Displays a quiz
        parameters: {"$ref": "tools/display_quiz.json"}
    - type: function
      function:
        name: get_time
        parameters: {"type": "object", "properties": {}}
"""


def test_tools_are_found_and_file_refs_resolved(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "display_quiz.json").write_text(json.dumps(DISPLAY_QUIZ["parameters"]))
    (tmp_path / "quiz.yaml").write_text(SCENARIO)
    found = scenario_tools(tmp_path / "quiz.yaml")
    assert [name for name, _ in found] == ["display_quiz", "get_time"]
    assert found[0][1]["parameters"] == DISPLAY_QUIZ["parameters"]
    assert [case_id for case_id, _ in tool_cases([tmp_path / "quiz.yaml"])] == [
        "quiz:display_quiz",
        "quiz:get_time",
    ]


def test_missing_parameter_file_and_bad_yaml_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "quiz.yaml").write_text(SCENARIO)
    with pytest.raises(ScenarioError, match=r"parameters file .*display_quiz\.json not found"):
        scenario_tools(tmp_path / "quiz.yaml")
    (tmp_path / "bad.yaml").write_text("assistant: [unclosed")
    with pytest.raises(ScenarioError, match=r"bad\.yaml: cannot read"):
        scenario_tools(tmp_path / "bad.yaml")


def test_other_shapes_are_tolerated(tmp_path: Path) -> None:
    (tmp_path / "flat.yaml").write_text(json.dumps({"tools": [DISPLAY_QUIZ], "steps": []}))
    assert [name for name, _ in scenario_tools(tmp_path / "flat.yaml")] == ["display_quiz"]
    (tmp_path / "none.yaml").write_text("name: no tools here\n")
    assert scenario_tools(tmp_path / "none.yaml") == []


def test_profiles_build_on_existing_ones_and_stay_derandomized() -> None:
    register_profiles()
    ci = settings.get_profile("ci")
    assert ci.derandomize and ci.database is None and ci.deadline is None and ci.print_blob
    assert settings.get_profile("dev").deadline is None
