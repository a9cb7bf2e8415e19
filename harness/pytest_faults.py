"""pytest wiring for fault overlays: the `assistants_faults` marker, its parametrization
(`faults="each"` or a list) and the `assistants_fault` fixture.

Registered by `harness.plugin`; the library side is `harness.faults`. Faults are
injected into replays only: while recording (or checking drift) a marked test runs
once, unparametrized and without faults, and records the conversation they overlay.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.errors import ConfigError, HarnessError

if TYPE_CHECKING:
    from harness.config import Settings
    from harness.faults import Fault

MARKER = "assistants_faults"
PARAM = "assistants_fault"
HELP = (
    f"{MARKER}(*faults, faults=None, kinds=None): replay this test's cassette with faults "
    "injected: positional faults together in one test; faults='each' (or a list) makes one "
    "test per fault (see harness.faults.spec)."
)


class FaultOverlays:
    """Turns `@pytest.mark.assistants_faults(faults=...)` into one test per fault, and gives
    each test its fault (the `assistants_fault` fixture)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @pytest.hookimpl(trylast=True)  # after @parametrize: the fault's id comes last
    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        marker = metafunc.definition.get_closest_marker(MARKER)
        if marker is None or not injects(self.settings):
            return
        wanted = marker.kwargs.get("faults")
        if wanted is None:
            return  # positional faults go in together: the test keeps its id
        try:
            faults: list[Any] | None = self._faults(metafunc, wanted, marker.kwargs.get("kinds"))
        except HarnessError as exc:
            faults = [Unusable(f"{metafunc.definition.nodeid}: {exc}")]
        if faults is None:
            return
        if PARAM not in metafunc.fixturenames:
            # The test need not ask for the fault to be parametrized by it.
            metafunc.fixturenames.append(PARAM)
        metafunc.parametrize(PARAM, faults, ids=[_param_id(f) for f in faults])

    @pytest.fixture
    def assistants_fault(self, request: pytest.FixtureRequest) -> Fault | None:
        """The fault this test replays with (`harness.faults.Fault`: `.id`, `.name`, `.kind`),
        or None. Under `@pytest.mark.assistants_faults(faults=...)` each test gets its own."""
        faults = item_faults(
            request.node, self.settings, request.getfixturevalue("assistants_cassette_dir")
        )
        if len(faults) > 1:
            pytest.fail(f"{request.node.nodeid}: several faults: see assistants_cassette.faults")
        return faults[0] if faults else None

    def _faults(self, metafunc: pytest.Metafunc, wanted: Any, kinds: Any) -> list[Fault] | None:
        """The faults to parametrize with; None: none (the test then says why it cannot
        replay); `ConfigError` for a marker that cannot work."""
        from harness.faults import NAMES, each, parse_fault

        if kinds is not None and (
            isinstance(kinds, str) or not set(kinds) <= {*NAMES, "run", "http"}
        ):
            raise ConfigError(f"{MARKER}: kinds must be a list of {', '.join(NAMES)}, run or http")
        if wanted != "each":
            return [parse_fault(f) for f in _as_list(wanted)]
        if getattr(metafunc, "_calls", None):
            raise ConfigError(
                f"{MARKER}(faults='each') reads the faults from the test's one cassette: a test "
                "with other parameters lists its faults (faults=[...])"
            )
        from harness.cassette.naming import cassette_location
        from harness.cassette.storage import read_cassette

        cassette_marker = metafunc.definition.get_closest_marker("assistants_cassette")
        name = cassette_marker.kwargs.get("name") if cassette_marker else None
        path, _ = cassette_location(
            self.settings.cassette_dir, _relative_module(metafunc), _test_name(metafunc), name
        )
        try:
            cassette = read_cassette(path)
        except (HarnessError, OSError):
            return None  # the test then says how to record its cassette (or what is wrong)
        found = each(cassette, kinds)
        if not found:
            which = f" of kinds {', '.join(kinds)}" if kinds else ""
            raise ConfigError(
                f"{MARKER}(faults='each') found nothing{which} to fault in {path}: its "
                "recording has no run, stream, function call or request a fault can strike "
                "(`harness transcript` shows what it holds)"
            )
        return found


class Unusable(str):
    """The one parameter of a test whose `faults=` cannot work: the test fails with it."""


def _param_id(value: Any) -> str:
    return "unusable-faults" if isinstance(value, Unusable) else str(value.id)


def injects(settings: Settings) -> bool:
    """Faults are injected in plain replay only."""
    return settings.record_mode == "none" and not settings.drift


def item_faults(item: pytest.Item, settings: Settings, cassette_dir: Path) -> list[Fault]:
    """The faults `item` replays with: its parameter, or the marker's positional faults."""
    from harness.faults import parse_fault

    if not injects(settings):
        return []
    callspec = getattr(item, "callspec", None)
    if callspec is not None and isinstance(callspec.params.get(PARAM), Unusable):
        raise ConfigError(str(callspec.params[PARAM]))
    param = fault_param(item)
    if param is not None:
        return [param]
    marker = item.get_closest_marker(MARKER)
    if marker is not None and marker.kwargs.get("faults") == "each":
        _check_each_could_expand(item, settings, cassette_dir)
    try:
        return [parse_fault(f) for f in marker.args] if marker is not None else []
    except ConfigError as exc:
        raise ConfigError(f"{item.nodeid}: {exc}") from None


def _check_each_could_expand(item: pytest.Item, settings: Settings, cassette_dir: Path) -> None:
    """`faults='each'` expands while tests are collected, before any fixture runs, so it reads
    the ini's cassette folder; a folder given by an overriding fixture is seen too late."""
    if Path(cassette_dir).resolve() != Path(settings.cassette_dir).resolve():
        raise ConfigError(
            f"{item.nodeid}: {MARKER}(faults='each') reads the cassette while tests are "
            f"collected, from the ini assistants_cassette_dir ({settings.cassette_dir}), not "
            f"from this test's assistants_cassette_dir fixture ({cassette_dir}): list the "
            "faults (faults=[...]) or set the folder with the ini key"
        )


def fault_param(item: pytest.Item) -> Fault | None:
    from harness.faults import Fault

    callspec = getattr(item, "callspec", None)
    param = callspec.params.get(PARAM) if callspec is not None else None
    return param if isinstance(param, Fault) else None


def without_fault(text: str, fault: Fault) -> str:
    """A test id without the fault's parameter: the id of the test that records the cassette."""
    if text.endswith(f"[{fault.id}]"):
        return text[: -len(fault.id) - 2]
    if text.endswith(f"-{fault.id}]"):
        return text[: -len(fault.id) - 2] + "]"
    return text


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value)


def _relative_module(metafunc: pytest.Metafunc) -> Path:
    module = Path(metafunc.definition.path)
    try:
        return module.relative_to(metafunc.config.rootpath).with_suffix("")
    except ValueError:
        return Path(module.stem)


def _test_name(metafunc: pytest.Metafunc) -> str:
    cls = metafunc.cls
    name = metafunc.function.__name__
    return f"{cls.__name__}.{name}" if cls is not None else name
