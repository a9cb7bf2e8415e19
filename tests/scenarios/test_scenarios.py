"""The committed scenarios, as a user runs them: replay offline, re-record."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

NO_NETWORK = """
import socket
import pytest

@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    def refuse(self, address):
        raise OSError(f"network is off: {address}")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
"""


def _copy_project(pytester: pytest.Pytester) -> None:
    shutil.copytree(
        ROOT / "scenarios",
        pytester.path / "scenarios",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copytree(ROOT / "cassettes" / "scenarios", pytester.path / "cassettes" / "scenarios")
    pytester.makeini(
        "[pytest]\ntestpaths = scenarios\npythonpath = .\nassistants_scenario_dirs = scenarios\n"
    )


def test_replay_needs_no_network(pytester: pytest.Pytester) -> None:
    _copy_project(pytester)
    pytester.makeconftest(NO_NETWORK)
    result = pytester.runpytest("scenarios")
    result.assert_outcomes(passed=17)


def test_rerecording_leaves_every_snapshot_unchanged(pytester: pytest.Pytester) -> None:
    _copy_project(pytester)
    before = {
        p.name: p.read_text() for p in (pytester.path / "cassettes" / "scenarios").glob("*.yaml")
    }
    result = pytester.runpytest("scenarios", "--record")
    result.assert_outcomes(passed=17)
    result.stdout.fnmatch_lines(["*0 new, 0 rewritten, 17 unchanged, 0 kept failed*"])
    result.stdout.fnmatch_lines(["*9 snapshots passed*"])
    after = {
        p.name: p.read_text() for p in (pytester.path / "cassettes" / "scenarios").glob("*.yaml")
    }
    assert after == before, "an unchanged conversation leaves its cassette byte-identical"


def test_a_bad_scenario_file_is_one_line(pytester: pytest.Pytester) -> None:
    scenarios = pytester.path / "scenarios"
    scenarios.mkdir()
    pytester.makeini("[pytest]\nassistants_scenario_dirs = scenarios\n")
    (scenarios / "broken.yaml").write_text(
        "name: broken\nassistant: {name: Tutor}\nsteps: [{create_thread: {as: t}}]\n"
    )
    result = pytester.runpytest("scenarios")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*scenarios/broken.yaml: /assistant: 'model' is a required property"]
    )
    assert "Traceback" not in result.stdout.str()
