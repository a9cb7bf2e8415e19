"""pytest wiring: options, ini keys, markers, fixtures -> harness library calls.

Nothing heavy is imported at module level: this module loads in every pytest
run of every project that installs the harness.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import re
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from harness.cassette.session import Backend, CassetteSession
    from harness.config import Settings

SETTINGS = pytest.StashKey["Settings"]()
EMULATOR = pytest.StashKey[Any]()
KEPT = pytest.StashKey[list[str]]()
SESSION = pytest.StashKey["CassetteSession"]()
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()

MARKER = "assistants_cassette"
TOOL_MARKER = "assistants_tool_contract"


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    group = parser.getgroup("assistants", "OpenAI Assistants API record/replay")
    group.addoption(
        "--record",
        action="store_true",
        default=False,
        help="Record the selected tests' Assistants cassettes (kept only when the test passes).",
    )
    if not _pytest_recording_owns_record_mode(pluginmanager):
        # If pytest-recording registered it anyway, we share its option.
        with contextlib.suppress(ValueError):
            group.addoption(
                "--record-mode",
                action="store",
                dest="record_mode",
                default=None,
                choices=["none", "once", "new_episodes", "all", "rewrite"],
                help="Cassette record mode (default: none, replay only).",
            )
    group.addoption(
        "--record-backend",
        action="store",
        default=None,
        choices=["emulator", "live"],
        help="Where recordings go: the embedded emulator (default) or OPENAI_BASE_URL (live).",
    )
    parser.addini("assistants_cassette_dir", "Folder of Assistants cassettes.", default="cassettes")
    parser.addini("assistants_record_backend", "Default record backend: emulator or live.")
    parser.addini(
        "assistants_redact_patterns",
        "Extra regular expressions redacted from recordings.",
        type="linelist",
        default=[],
    )


def _pytest_recording_owns_record_mode(pluginmanager: pytest.PytestPluginManager) -> bool:
    """Whether pytest-recording registers `--record-mode` in this run.

    Plugins load in no fixed order and adding an option twice crashes pytest,
    so the harness defers to pytest-recording whenever it will be active.
    """
    if pluginmanager.has_plugin("recording"):
        return True
    if pluginmanager.is_blocked("recording"):
        return False
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        # Only loaded by name then: `-p pytest_recording.plugin` or PYTEST_PLUGINS.
        named = [*sys.argv, os.environ.get("PYTEST_PLUGINS", "")]
        return any("pytest_recording" in arg for arg in named)
    return any(
        entry.name == "recording" for entry in importlib.metadata.entry_points(group="pytest11")
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(name=None, skip_sleep=False): record/replay this test's Assistants API traffic.",
    )
    config.addinivalue_line(
        "markers",
        f"{TOOL_MARKER}(*scenario_files): run the test once per function tool of these "
        "scenario files (default: scenarios/*.yaml), as the `assistants_tool` fixture.",
    )
    from harness.config import resolve
    from harness.errors import ConfigError

    try:
        settings = resolve(
            record_flag=config.getoption("record", False),
            record_mode=config.getoption("record_mode", None),
            backend_option=config.getoption("record_backend", None),
            ini_backend=config.getini("assistants_record_backend") or None,
            ini_cassette_dir=config.getini("assistants_cassette_dir") or None,
            ini_redact_patterns=config.getini("assistants_redact_patterns"),
            rootdir=config.rootpath,
        )
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[SETTINGS] = settings
    config.stash[KEPT] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Import the SDK and the replay layer once, at collection, when a
    selected test uses a cassette: a one-time cost of the process, not of
    whichever test happens to run first."""
    if any(item.get_closest_marker(MARKER) is not None for item in items):
        import importlib

        import harness.cassette.session  # noqa: F401

        # The SDK loads its Assistants resources on first use of `client.beta`.
        for module in ("openai", "openai.resources.beta.beta", "openai.resources.files"):
            with contextlib.suppress(ImportError):
                importlib.import_module(module)


def pytest_unconfigure(config: pytest.Config) -> None:
    emulator = config.stash.get(EMULATOR, None)
    if emulator is not None:
        emulator.__exit__(None, None, None)
        del config.stash[EMULATOR]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    """An unmatched replay request fails the test with our message.

    The SDK wraps transport errors in `APIConnectionError` (after retrying),
    and an app may swallow that, so the miss is re-raised here.
    """
    session = item.stash.get(SESSION, None)
    try:
        result = yield
    except BaseException:
        if session is None or not session.interception.misses:
            raise
    if session is not None and session.interception.misses:
        # No traceback: its frames would show the raw request, secrets included.
        pytest.fail(str(session.interception.misses[0]), pytrace=False)
    return result


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    kept = config.stash.get(KEPT, [])
    if kept:
        terminalreporter.section("assistants cassettes")
        for line in kept:
            terminalreporter.write_line(line)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize `assistants_tool` over the function tools of scenario files."""
    if "assistants_tool" not in metafunc.fixturenames:
        return
    from harness.fuzz import tool_cases

    root = metafunc.config.rootpath
    marker = metafunc.definition.get_closest_marker(TOOL_MARKER)
    files = (
        [root / p for p in marker.args]
        if marker and marker.args
        else sorted(root.glob("scenarios/*.yaml"))
    )
    cases = tool_cases(files)
    metafunc.parametrize("assistants_tool", [tool for _, tool in cases], ids=[i for i, _ in cases])


# --- fixtures -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _assistants_cassette_autouse(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker(MARKER) is not None:
        request.getfixturevalue("assistants_cassette")


@pytest.fixture
def assistants_cassette(request: pytest.FixtureRequest) -> Iterator[CassetteSession]:
    """The active cassette of this test (replaying or recording)."""
    from harness.cassette.session import CassetteSession
    from harness.errors import CassetteError

    item = request.node
    config = request.config
    settings = config.stash[SETTINGS]
    marker = item.get_closest_marker(MARKER)
    options = dict(marker.kwargs) if marker else {}
    path = cassette_path(item, settings.cassette_dir, options.get("name"))
    try:
        session = CassetteSession.open(
            path,
            settings,
            record_hint=f"pytest --record '{item.nodeid}'",
            backend_factory=lambda: _backend(config, settings),
            test_id=item.nodeid,
            skip_sleep=bool(options.get("skip_sleep", False)),
        )
    except CassetteError as exc:
        problem = str(exc)  # failed outside the except block: one message, no chained twin
    else:
        problem = ""
    if problem:
        pytest.fail(problem, pytrace=False)
    item.stash[SESSION] = session
    with session.active():
        yield session
    reports = item.stash.get(REPORTS, {})
    passed = not session.interception.misses and all(
        reports.get(when) is not None and reports[when].passed for when in ("setup", "call")
    )
    written = session.finish(passed)
    if written is not None:
        verb = "recorded" if passed else "kept failed recording"
        config.stash[KEPT].append(f"{verb}: {written}")


@pytest.fixture
def openai_client(assistants_cassette: CassetteSession) -> Any:
    """An `openai.OpenAI` client bound to the active cassette."""
    import openai

    return openai.OpenAI(
        base_url=assistants_cassette.base_url, api_key=os.environ["OPENAI_API_KEY"]
    )


@pytest.fixture
def async_openai_client(assistants_cassette: CassetteSession) -> Any:
    """An `openai.AsyncOpenAI` client bound to the active cassette."""
    import openai

    return openai.AsyncOpenAI(
        base_url=assistants_cassette.base_url, api_key=os.environ["OPENAI_API_KEY"]
    )


# --- helpers --------------------------------------------------------------------


def cassette_path(item: pytest.Item, cassette_dir: Path, name: str | None = None) -> Path:
    """`<cassette_dir>/<module path>/<test name>.yaml`, names made file-safe.

    A marker `name` with a slash is a path below the cassette folder.
    """
    if name and "/" in name:
        return cassette_dir / (name + ".yaml")
    module = Path(item.path)
    try:
        relative = module.relative_to(item.config.rootpath).with_suffix("")
    except ValueError:
        relative = Path(module.stem)
    test_name = name or item.name
    cls = getattr(item, "cls", None)
    if cls is not None and not name:
        test_name = f"{cls.__name__}.{test_name}"
    return cassette_dir / relative / (_file_safe(test_name) + ".yaml")


def _file_safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]+", "-", name).strip("-") or "cassette"


def _backend(config: pytest.Config, settings: Settings) -> Backend:
    from harness.cassette.session import EMULATOR_API_KEY, Backend

    if settings.backend == "live":
        if not settings.live_api_key:
            pytest.fail(
                "--record-backend=live needs OPENAI_API_KEY (and OPENAI_BASE_URL for a "
                "compatible server)",
                pytrace=False,
            )
        return Backend("live", settings.live_base_url, settings.live_api_key)
    emulator = config.stash.get(EMULATOR, None)
    if emulator is None:
        from harness.emulator import EmulatorServer

        emulator = EmulatorServer()
        emulator.__enter__()
        config.stash[EMULATOR] = emulator
    else:
        emulator.reset()
    return Backend("emulator", emulator.base_url, EMULATOR_API_KEY)


# --- scenarios ------------------------------------------------------------------


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix in (".yaml", ".yml") and file_path.parent.name == "scenarios":
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.Module):
    """A scenario file: one test that replays (or records) its conversation.

    It is a `Module` (with a synthetic module object) so that module-scoped
    fixtures, syrupy's among them, work for its item as for any test.
    """

    def _getobj(self) -> Any:
        import types

        return types.ModuleType(f"scenario_{self.path.stem}")

    def collect(self) -> Iterator[pytest.Item]:
        from harness.errors import ScenarioError
        from harness.scenarios import load_scenario

        try:
            scenario = load_scenario(self.path)
        except ScenarioError as exc:
            raise self.CollectError(str(exc)) from None
        item = pytest.Function.from_parent(self, name=scenario.name, callobj=_play_scenario)
        item.add_marker(pytest.mark.assistants_cassette(name=f"scenarios/{scenario.name}"))
        item.stash[SCENARIO] = scenario
        yield item


SCENARIO = pytest.StashKey[Any]()


def _play_scenario(
    request: pytest.FixtureRequest,
    assistants_cassette: CassetteSession,
    openai_client: Any,
    snapshot: Any,
) -> None:
    """Run a scenario through the SDK, then check it and snapshot its transcript."""
    __tracebackhide__ = True
    from harness.invariants import check as check_invariants
    from harness.scenarios import ScenarioRunner, check
    from harness.snapshot import transcript_snapshot

    scenario = request.node.stash[SCENARIO]
    backend = assistants_cassette.backend
    if backend is not None and backend.name == "emulator":
        request.config.stash[EMULATOR].set_brain(scenario.brain)
    outcome = ScenarioRunner(openai_client, scenario).run()
    problems = check(scenario, outcome)
    problems += [
        str(v)
        for v in check_invariants(
            assistants_cassette.transcript(), source=str(assistants_cassette.path)
        )
    ]
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
    assert assistants_cassette.transcript() == transcript_snapshot(snapshot)
