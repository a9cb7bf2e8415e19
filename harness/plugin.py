"""pytest wiring: options, ini keys, markers, fixtures -> harness library calls.

Nothing heavy is imported at module level: this module loads in every pytest
run of every project that installs the harness.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from harness.active import ActiveCassette
    from harness.backends import EmbeddedEmulator
    from harness.config import Settings

SETTINGS: pytest.StashKey[Settings] = pytest.StashKey()
EMULATOR: pytest.StashKey[EmbeddedEmulator] = pytest.StashKey()
CLAIMED = pytest.StashKey[dict[str, str]]()
ACTIVE: pytest.StashKey[ActiveCassette] = pytest.StashKey()
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
TEMPORARY = pytest.StashKey[pytest.TempPathFactory]()
TRACED = pytest.StashKey[Path]()

MARKER = "assistants_cassette"
FAULTS_MARKER = "assistants_faults"
TOOL_MARKER = "assistants_tool_contract"


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    group = parser.getgroup("assistants", "OpenAI Assistants API record/replay")
    group.addoption(
        "--record",
        action="store_true",
        default=False,
        help="Record the selected tests' cassettes (kept only when the test passes).",
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
        "--assistants-drift",
        action="store_true",
        default=False,
        help="Run the selected tests against the record backend, write no cassette, and fail "
        "those whose conversation differs from the committed cassette (with the diff).",
    )
    group.addoption(
        "--assistants-trace",
        action="store",
        default=None,
        choices=["off", "on-failure", "always"],
        help="When a marked test writes its HTML trace page (default: on-failure; ini "
        "assistants_trace).",
    )
    group.addoption(
        "--record-replace-live",
        action="store_true",
        default=False,
        help="Let a take of the emulator replace a cassette that was recorded live (refused "
        "otherwise: live recordings cannot be made again).",
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
    parser.addini("assistants_brain", "Default emulator brain rules file (YAML or JSON).")
    parser.addini(
        "assistants_sandbox",
        "How the embedded emulator isolates code_interpreter code: auto (default: user "
        "namespaces, refused without them), namespaces, or process (opts in to a best-effort "
        "guard where namespaces are unavailable).",
    )
    parser.addini(
        "assistants_trace", "When marked tests write trace pages: off, on-failure, always."
    )
    parser.addini("assistants_strict", "Fail replayed tests that leave recorded requests unplayed.")
    parser.addini(
        "assistants_scenario_dirs",
        "Folders whose YAML files are scenario tests.",
        type="linelist",
        default=[],
    )
    parser.addini(
        "assistants_filter_deprecations",
        "Hide the SDK's Assistants deprecation warnings in marked tests (default true).",
        default="true",
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
        f"{MARKER}(name=None, brain=None, skip_sleep=False, strict=None, parity=None): record/"
        "replay this test's API traffic (parity: an Assistants cassette, relative to the test "
        "file, whose conversation the test's must match).",
    )
    config.addinivalue_line(
        "markers",
        f"{TOOL_MARKER}(*scenario_files): run the test once per function tool of these "
        "scenario files (default: scenarios/*.yaml), as the `assistants_tool` fixture.",
    )
    from harness.pytest_faults import HELP, FaultOverlays

    config.addinivalue_line("markers", HELP)
    from harness.backends import EmbeddedEmulator
    from harness.config import resolve
    from harness.errors import ConfigError

    ini = {
        key: config.getini(f"assistants_{key}")
        for key in (
            "cassette_dir",
            "record_backend",
            "redact_patterns",
            "brain",
            "strict",
            "scenario_dirs",
            "filter_deprecations",
            "sandbox",
            "trace",
        )
    }
    try:
        settings = resolve(
            record_flag=config.getoption("record", False),
            record_mode=config.getoption("record_mode", None),
            backend_option=config.getoption("record_backend", None),
            ini=ini,
            rootdir=config.rootpath,
            drift=config.getoption("assistants_drift", False),
            trace_option=config.getoption("assistants_trace", None),
            replace_live=config.getoption("record_replace_live", False),
        )
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[SETTINGS] = settings
    if not os.environ.get("OPENAI_API_KEY") and (
        settings.record_mode == "none" or settings.backend != "live"
    ):
        # An app that builds its client at import time needs a key to be imported; replay
        # and the emulator need none, so the session lends it a stand-in.
        from harness.cassette.session import REPLAY_API_KEY

        os.environ["OPENAI_API_KEY"] = REPLAY_API_KEY
        config.add_cleanup(_forget_stand_in_key)
    config.stash[EMULATOR] = EmbeddedEmulator(settings.sandbox)
    config.stash[CLAIMED] = {}
    config.pluginmanager.register(_Summary(), "assistants-summary")
    config.pluginmanager.register(FaultOverlays(settings), "assistants-faults")
    from harness.pytest_scenarios import ScenarioCollector

    config.pluginmanager.register(ScenarioCollector(settings), "assistants-scenarios")
    # `--record` means record everything, pytest-recording's `vcr` tests included.
    if (
        settings.record_mode != "none"
        and _pytest_recording_active(config)
        and config.getoption("record", False)
        and config.getoption("record_mode", None) is None
    ):
        config.option.record_mode = "rewrite"


def _forget_stand_in_key() -> None:
    os.environ.pop("OPENAI_API_KEY", None)


def pytest_report_header(config: pytest.Config) -> str | None:
    settings = config.stash.get(SETTINGS, None)
    if settings is not None and settings.ci_refused:
        return (
            "assistants: CI=true, so recording is off: replaying only "
            "(set HARNESS_RECORD_IN_CI=1 to record in CI)"
        )
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Hide the SDK's deprecation noise in marked tests, and import the SDK once, at
    collection, when a selected test uses a cassette (not inside the first test)."""
    marked = [item for item in items if _uses_cassette(item)]
    if not marked:
        return
    if config.stash[SETTINGS].filter_deprecations:
        from harness.adapters.openai_sdk import DEPRECATIONS

        for item in marked:
            for message in DEPRECATIONS:
                item.add_marker(pytest.mark.filterwarnings(f"ignore:{message}:DeprecationWarning"))
    import importlib

    import harness.active  # noqa: F401

    # The SDK loads its Assistants resources on first use of `client.beta`.
    for module in ("openai", "openai.resources.beta.beta", "openai.resources.files"):
        with contextlib.suppress(ImportError):
            importlib.import_module(module)


def pytest_unconfigure(config: pytest.Config) -> None:
    emulator = config.stash.get(EMULATOR, None)
    if emulator is not None:
        emulator.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    active = item.stash.get(ACTIVE, None)
    if active is not None and report.when == "call" and report.failed and active.recording:
        from harness.active import failure_sections

        report.sections.extend(failure_sections(active, report.longreprtext))
    if active is not None:
        _trace_page(item, active, report)
    return report


def _trace_page(item: pytest.Item, active: ActiveCassette, report: pytest.TestReport) -> None:
    """Write the test's trace page when `--assistants-trace` wants it (after the call, and
    again after teardown, which may fail or add requests); its report names it (and
    pytest-html, when installed, links it)."""
    from harness.errors import HarnessError
    from harness.show.failure import forget_failed_trace, wanted, write_trace

    if report.when not in ("call", "teardown"):
        return
    call = item.stash[REPORTS].get("call")
    passed = not report.failed and call is not None and call.passed
    if report.when == "teardown" and passed:
        forget_failed_trace(active)  # this take passed: an earlier failed one's page is stale
    if not wanted(item.config.stash[SETTINGS].trace, not passed):
        return
    if report.when == "teardown" and not report.failed and TRACED not in item.stash:
        return  # the call's page stands (a skipped or errored call wrote none)
    try:
        path = write_trace(
            active,
            item.nodeid,
            "passed" if passed else "failed",
            item.stash[TEMPORARY].getbasetemp(),
        )
    except (HarnessError, OSError) as exc:
        report.sections.append(("assistants trace", f"could not write the trace page: {exc}"))
        return
    if item.stash.get(TRACED, None) == path and not report.failed:
        return  # rewritten with the teardown's requests; the call's report names it
    item.stash[TRACED] = path
    report.sections.append(("assistants trace", f"trace page: {path}"))
    report.user_properties.append(("assistants_trace", str(path)))
    with contextlib.suppress(ImportError):
        from pytest_html import extras

        link = extras.url(path.resolve().as_uri(), name="assistants trace")
        report.extras = [*getattr(report, "extras", []), link]  # type: ignore[attr-defined]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    """A request replay could not answer fails the test with the harness's message.

    The SDK wraps transport errors in `APIConnectionError` (after retrying),
    and an app may swallow that, so the first miss is raised here again.
    """
    from harness.errors import CassetteFormatError

    active = item.stash.get(ACTIVE, None)
    unreadable: CassetteFormatError | None = None
    try:
        result = yield
    except CassetteFormatError as exc:
        if active is None:
            raise
        # A recorded response read as the test used it (a snapshot of the transcript, say):
        # its one line names the file, the interaction and the field.
        unreadable = exc
    except BaseException:
        if active is None or not active.session.misses:
            raise
    if unreadable is not None and active is not None and not active.session.misses:
        pytest.fail(str(unreadable), pytrace=False)
    if active is not None and active.session.misses:
        # No traceback: its frames would show the raw request, secrets included.
        pytest.fail(str(active.session.misses[0]), pytrace=False)
    if active is not None:
        # Requests the test body skipped fail the test itself; what fixtures' teardowns may
        # still request is judged once they are done.
        skipped = active.unplayed(skipped_only=True)
        if skipped:
            pytest.fail(skipped, pytrace=False)
    return result


class _Summary:
    """Each test's cassette outcome, gathered from its report (xdist workers' too), for the
    "assistants cassettes" section at the end."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            for key, value in report.user_properties:
                if key in (
                    "assistants_take",
                    "assistants_note",
                    "assistants_drift",
                    "assistants_conformance",
                ):
                    self.entries.append((key, str(value)))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from harness.active import summary_lines

        lines = summary_lines(self.entries)
        if lines:
            terminalreporter.section("assistants cassettes")
            for line in lines:
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


@pytest.fixture
def assistants_cassette_dir(pytestconfig: pytest.Config) -> Path:
    """The folder of this test's cassettes (ini `assistants_cassette_dir`); override it in
    a conftest.py to give a directory of tests its own."""
    return pytestconfig.stash[SETTINGS].cassette_dir


@pytest.fixture
def assistants_config() -> dict[str, Any]:
    """Marker arguments for every test this fixture reaches (`brain`, `strict`,
    `skip_sleep`, `name`); the marker's own arguments win. Override it in a conftest.py."""
    return {}


@pytest.fixture(autouse=True)
def _assistants_cassette_autouse(request: pytest.FixtureRequest) -> None:
    if _uses_cassette(request.node):
        request.getfixturevalue("assistants_cassette")


def _uses_cassette(item: pytest.Item) -> bool:
    """Marked `assistants_cassette`, or `assistants_faults` (which overlays its cassette)."""
    return any(item.get_closest_marker(name) is not None for name in (MARKER, FAULTS_MARKER))


@pytest.fixture
def assistants_cassette(
    request: pytest.FixtureRequest,
    assistants_cassette_dir: Path,
    assistants_config: dict[str, Any],
) -> Iterator[ActiveCassette]:
    """The active cassette of this test (replaying or recording)."""
    from harness.active import claim, open_cassette
    from harness.config import per_test_options
    from harness.errors import HarnessError
    from harness.pytest_faults import item_faults

    item = request.node
    config = request.config
    item.stash[TEMPORARY] = request.getfixturevalue("tmp_path_factory")
    marker = item.get_closest_marker(MARKER)
    problem = ""
    try:
        options = per_test_options(
            dict(marker.kwargs) if marker else {}, assistants_config, item.nodeid
        )
        theirs = _pytest_recording_cassette(request)
        faults = item_faults(item, config.stash[SETTINGS], Path(assistants_cassette_dir))
        active = open_cassette(
            config.stash[SETTINGS],
            _identity(item),
            options,
            Path(assistants_cassette_dir),
            config.stash[EMULATOR],
            others_pass=theirs is not None,
            taken=theirs,
            faults=faults,
        )
        # Workers of one xdist run share its id: claims are then checked across them.
        run_id = getattr(config, "workerinput", {}).get("testrunuid")
        problem = claim(config.stash[CLAIMED], active, item.nodeid, run_id)
    except HarnessError as exc:
        problem = str(exc)  # failed outside the except block: one message, no chained twin
    if problem:
        pytest.fail(problem, pytrace=False)
    item.stash[ACTIVE] = active
    with active.session.active():
        yield active
    reports = item.stash.get(REPORTS, {})
    passed = not active.session.misses and all(
        reports.get(when) is not None and reports[when].passed for when in ("setup", "call")
    )
    call = reports.get("call")
    problem, properties = active.end(
        passed, call is not None, config.stash[EMULATOR].notes(), keep=not hasattr(call, "wasxfail")
    )
    item.user_properties.extend(properties)
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.fixture
def assistants_emulator(request: pytest.FixtureRequest, assistants_cassette: ActiveCassette) -> Any:
    """The emulator this test records against: `.base_url`, `.set_brain(rules)`, `.recording`.

    In replay it stands in: the rules are checked but decide nothing."""
    from harness.active import EmulatorHandle

    return EmulatorHandle(assistants_cassette, request.config.stash[EMULATOR])


@pytest.fixture
def openai_client(assistants_cassette: ActiveCassette) -> Iterator[Any]:
    """An `openai.OpenAI` client bound to the active cassette."""
    from harness.active import client

    with client(assistants_cassette) as made:
        yield made


@pytest.fixture
def async_openai_client(assistants_cassette: ActiveCassette) -> Any:
    """An `openai.AsyncOpenAI` client bound to the active cassette."""
    from harness.active import async_client

    return async_client(assistants_cassette)


def _pytest_recording_active(config: pytest.Config) -> bool:
    manager = config.pluginmanager
    return manager.has_plugin("recording") or manager.has_plugin("pytest_recording.plugin")


def _identity(item: pytest.Item) -> Any:
    """Which test `item` is; a fault overlay's test is the test that recorded its cassette."""
    from harness.active import TestIdentity
    from harness.pytest_faults import fault_param, without_fault

    module = Path(item.path)
    try:
        relative = module.relative_to(item.config.rootpath).with_suffix("")
    except ValueError:
        relative = Path(module.stem)
    cls = getattr(item, "cls", None)
    name = f"{cls.__name__}.{item.name}" if cls is not None else item.name
    nodeid = item.nodeid
    fault = fault_param(item)
    if fault is not None:
        name, nodeid = without_fault(name, fault), without_fault(nodeid, fault)
    return TestIdentity(nodeid, module, relative, name)


def _pytest_recording_cassette(request: pytest.FixtureRequest) -> Path | None:
    """pytest-recording's cassette file when it has one for this test too: then it, not the
    harness, decides about requests that are not Assistants API traffic."""
    if not _pytest_recording_active(request.config):
        return None
    if request.node.get_closest_marker("vcr") is None:
        return None
    request.getfixturevalue("vcr")  # its patch first, so the harness's sits inside it
    folder = str(request.getfixturevalue("vcr_cassette_dir"))
    return Path(folder) / (str(request.getfixturevalue("default_cassette_name")) + ".yaml")
