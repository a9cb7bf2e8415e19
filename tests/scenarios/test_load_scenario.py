"""Scenario files read as data only: every problem is one line naming the file, never a traceback."""

from __future__ import annotations

import copy
import functools
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import ScenarioError
from harness.scenarios import load_scenario
from tests.support.budget import examples

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = sorted((ROOT / "scenarios").glob("*.yaml"))


def _one_line(path: Path) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}:"), message
    return message


@pytest.fixture
def quiz(tmp_path: Path) -> Path:
    """A copy of a committed scenario with its tool file, free to edit."""
    shutil.copytree(ROOT / "scenarios" / "tools", tmp_path / "tools")
    target = tmp_path / "function_quiz.yaml"
    shutil.copy(ROOT / "scenarios" / "function_quiz.yaml", target)
    return target


def test_the_committed_scenarios_load() -> None:
    assert len(COMMITTED) == 9
    for path in COMMITTED:
        assert load_scenario(path).name == path.stem


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: "base: &b {x: 1}\n" + t, "line 1: YAML anchors and aliases are not allowed"),
        (lambda t: t + "again: *run\n", "YAML anchors and aliases are not allowed"),
        (lambda t: t.replace("as: thread}", "as: !!python/name:os.system thread}"), "not valid"),
        (lambda t: t.replace("name: function_quiz", "name: [function_quiz"), "not valid YAML"),
        (lambda t: t.replace("steps:", "stepz:"), "'steps' is a required property"),
        (lambda t: t + "name: again\n", "key 'name' given twice (first on line 1)"),
        (lambda t: t.replace("tools/display_quiz.json", "tools/none.json"), "cannot load"),
    ],
)
def test_bad_scenarios_are_one_line(quiz: Path, edit: Any, expected: str) -> None:
    quiz.write_text(edit(quiz.read_text()))
    assert expected in _one_line(quiz)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xff\xfe not text", "not valid YAML (byte 0 is not UTF-8)"),
        (b"[1, 2]\n", "is not of type 'object'"),
        (b'{"name": "x", "description": "\\ud800"}', "not valid"),
    ],
)
def test_files_that_are_no_scenario_at_all(quiz: Path, content: bytes, expected: str) -> None:
    quiz.write_bytes(content)
    assert expected in _one_line(quiz)


@pytest.mark.parametrize("content", ["[1, 2]", '"a string"', "{}", "null"])
def test_a_tool_file_that_is_no_function_is_one_line(quiz: Path, content: str) -> None:
    (quiz.parent / "tools" / "display_quiz.json").write_text(content)
    assert "display_quiz.json" in _one_line(quiz)


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | st.dates(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=5,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@functools.cache
def _quiz_doc() -> Any:
    """The committed quiz scenario, parsed once (every example edits a copy)."""
    return yaml.safe_load((ROOT / "scenarios" / "function_quiz.yaml").read_text())


@settings(max_examples=examples(200), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_any_edit_of_any_field_loads_or_is_one_line(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    folder = tmp_path_factory.mktemp("scenario")
    shutil.copytree(ROOT / "scenarios" / "tools", folder / "tools")
    doc = copy.deepcopy(_quiz_doc())
    path = data.draw(st.sampled_from(_paths(doc)), label="field")
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = data.draw(_values, label="value")
    scenario = folder / "edited.yaml"
    scenario.write_text(yaml.safe_dump(doc))
    try:
        loaded = load_scenario(scenario)
    except ScenarioError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(f"{scenario}:"), str(exc)
    else:
        loaded.tools()
