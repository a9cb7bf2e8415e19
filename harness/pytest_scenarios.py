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
        item = pytest.Function.from_parent(self, name=scenario.name, callobj=_play_scenario)
        options: dict[str, Any] = {"name": f"scenarios/{scenario.name}"}
        if scenario.brain is not None:
            options["brain"] = scenario.brain
        item.add_marker(pytest.mark.assistants_cassette(**options))
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
