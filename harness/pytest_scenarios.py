"""pytest wiring for scenario files: each YAML file in a configured scenario folder is a test.

Registered by `harness.plugin`; the library side is `harness.scenarios`.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from harness.active import ActiveCassette
    from harness.config import Settings

SCENARIO = pytest.StashKey[Any]()
CASSETTE_DIR = pytest.StashKey[Path]()
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class ScenarioCollector:
    """Collects the scenario files of the configured folders (never the cassette folder)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def pytest_collect_file(
        self, file_path: Path, parent: pytest.Collector
    ) -> pytest.Collector | None:
        if file_path.suffix not in (".yaml", ".yml"):
            return None
        from harness.scenarios import is_scenario_file

        settings = self.settings
        if not is_scenario_file(file_path, settings.scenario_dirs, settings.cassette_dir):
            return None
        node = ScenarioFile.from_parent(parent, path=file_path)
        node.stash[CASSETTE_DIR] = settings.cassette_dir
        # A synthetic module, so that module-scoped fixtures (syrupy's among them) work.
        node.obj = types.ModuleType(f"scenario_{file_path.stem}")
        return node


class ScenarioFile(pytest.Module):
    """A scenario file: one test that replays (or records) its conversation."""

    def collect(self) -> Iterator[pytest.Item]:
        from harness.errors import ScenarioError
        from harness.scenarios import load_scenario

        try:
            scenario = load_scenario(self.path)
        except ScenarioError as exc:
            raise self.CollectError(str(exc)) from None
        brain = {"brain": scenario.brain} if scenario.brain is not None else {}
        if scenario.api in ("assistants", "both"):
            item = pytest.Function.from_parent(self, name=scenario.name, callobj=_play_scenario)
            cassette = f"scenarios/{scenario.name}"
            item.add_marker(pytest.mark.assistants_cassette(name=cassette, **brain))
            item.stash[SCENARIO] = scenario
            yield item
        if scenario.api in ("responses", "both"):
            name = f"{scenario.name}_responses"
            item = pytest.Function.from_parent(self, name=name, callobj=_play_responses)
            cassette = f"scenarios/{scenario.name}.responses"
            item.add_marker(pytest.mark.assistants_cassette(name=cassette, **brain))
            item.stash[SCENARIO] = scenario
            yield item


def _play_scenario(
    request: pytest.FixtureRequest,
    assistants_cassette: ActiveCassette,
    openai_client: Any,
    snapshot: Any,
) -> None:
    """Run a scenario through the SDK, then check it and snapshot its transcript."""
    __tracebackhide__ = True
    from harness.scenarios import play
    from harness.snapshot import transcript_snapshot

    problems = play(request.node.stash[SCENARIO], openai_client, assistants_cassette.transcript)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
    expected = transcript_snapshot(snapshot)
    if expected != assistants_cassette.transcript():
        diff = expected.get_assert_diff(diff_mode=request.config.option.diff_mode)
        lines = ["the transcript differs from its snapshot ([- snapshot] [+ received]):"]
        lines += [_ANSI.sub("", line) for line in diff]
        pytest.fail("\n".join(lines), pytrace=False)


def _play_responses(
    request: pytest.FixtureRequest, assistants_cassette: ActiveCassette, openai_client: Any
) -> None:
    """Run a scenario through the Responses API as a ported app would, check it, and with
    `api: both` hold its conversation to the Assistants recording's."""
    __tracebackhide__ = True
    from harness.errors import ParityError
    from harness.parity.assertion import assert_same_conversation
    from harness.scenarios_responses import play_responses

    scenario = request.node.stash[SCENARIO]
    problems = play_responses(scenario, openai_client)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
    if scenario.api == "both":
        folder = request.node.parent.stash[CASSETTE_DIR]
        old = folder / "scenarios" / f"{scenario.name}.yaml"
        try:
            assert_same_conversation(old, assistants_cassette, accept=scenario.accept)
        except ParityError as exc:
            pytest.fail(str(exc), pytrace=False)
