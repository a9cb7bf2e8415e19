"""The cassette a test is using, as the test sees it: the `assistants_cassette` fixture.

It wraps the cassette layer's `CassetteSession` and adds what needs the layers
above it: the transcript of the conversation, the comparison that keeps an
unchanged re-recording's file byte-identical, and the checks CI runs after a
test: strict replay (recorded requests left unplayed), the drift check (a fresh
take against the committed cassette) and fault overlays (`harness.faults`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import ssl
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.backends import EmbeddedEmulator, live_backend, load_test_brain
from harness.cassette.backend_said import backend_said
from harness.cassette.model import Cassette
from harness.cassette.naming import cassette_location
from harness.cassette.redact import Redactor
from harness.cassette.session import REPLAY_API_KEY, Backend, CassetteSession, Take
from harness.cassette.storage import claim_across_processes, read_cassette
from harness.cassette.unplayed import unplayed_message
from harness.config import Settings
from harness.errors import (
    CassetteError,
    CassetteFormatError,
    ConfigError,
    HarnessError,
    MissingExtraError,
)
from harness.transcript import Transcript, transcript
from harness.transcript.compare import same_conversation

if TYPE_CHECKING:
    from harness.faults import Fault, FaultOverlay


class ActiveCassette:
    """The active cassette of one test (replaying, recording, or both).

    `strict`: a replay that leaves recorded requests unplayed fails (`unplayed`).
    `drift`: the take is compared with the committed cassette and never written.
    `overlay`: the replay injects faults; `cassette()` is then what was served."""

    def __init__(
        self,
        session: CassetteSession,
        test: TestIdentity | None = None,
        *,
        strict: bool = False,
        drift: bool = False,
        overlay: FaultOverlay | None = None,
        parity: Path | None = None,
    ) -> None:
        self.session = session
        self.test = test
        self.parity = parity
        """The Assistants recording this test's conversation must match (marker `parity=`)."""
        self.strict = strict
        self.drift = drift
        self.overlay = overlay

    @property
    def path(self) -> Path:
        return self.session.path

    @property
    def mode(self) -> str:
        """`replay`, `record` or `replay+record`."""
        return self.session.mode

    @property
    def recording(self) -> bool:
        return self.session.recording

    @property
    def base_url(self) -> str:
        """What an SDK client should use as its base URL."""
        return self.session.base_url

    @property
    def backend(self) -> Any:
        return self.session.backend

    @property
    def faults(self) -> tuple[Fault, ...]:
        """The faults this replay injects (none outside fault overlays)."""
        return self.overlay.faults if self.overlay is not None else ()

    def cassette(self) -> Cassette:
        """The conversation as it stands: recorded so far, or as loaded; under a fault
        overlay, what the test was actually served."""
        if self.overlay is not None:
            return self.overlay.served()
        return self.session.cassette()

    def transcript(self, *, usage: bool = False) -> Transcript:
        """The normalized conversation (`harness.transcript.Transcript`)."""
        return transcript(self.cassette(), source=str(self.path), usage=usage)

    def finish(self, passed: bool) -> Take:
        if self.drift:
            return Take("none")  # a drift check writes nothing
        return self.session.finish(passed, same_conversation)

    def end(
        self, passed: bool, ran: bool, notes: list[str], keep: bool = True
    ) -> tuple[str, list[tuple[str, str]]]:
        """Everything once the test is over: strict replay, the fault overlay and the drift
        check, then keeping the take (unless not `keep`: an expected failure's take is
        neither a cassette nor a failed recording). Returns (the problems, one per line or
        "", the report properties that carry the outcome to the summary, from xdist
        workers too)."""
        problem, drift = self.after_test(passed, ran)
        nodeid = self.test.nodeid if self.test else str(self.path)
        properties: list[tuple[str, str]] = []
        if drift is not None:
            properties.append(("assistants_drift", f"{drift} {nodeid}"))
        try:
            take = self.finish(passed) if keep else Take("none")
        except HarnessError as exc:
            problem = str(exc)
        else:
            if take.kind != "none":
                properties.append(("assistants_take", f"{take.kind} {take.path}"))
        if self.recording and self.backend is not None and self.backend.name == "live":
            properties += self.conformance()
        if self.recording and self.backend is not None and self.backend.name == "emulator":
            properties += [("assistants_note", f"{nodeid}: {note}") for note in notes]
        return problem, properties

    def conformance(self) -> list[tuple[str, str]]:
        """How the live server's answers deviated from the API, once per kind, as report
        properties for the summary."""
        from harness.conformance import check

        deviations = check(self.session.cassette(), str(self.path))
        first: dict[str, str] = {}
        for deviation in deviations:
            first.setdefault(deviation.kind, deviation.where)
        return [("assistants_conformance", f"{kind}\t{where}") for kind, where in first.items()]

    def after_test(self, passed: bool, ran: bool) -> tuple[str, str | None]:
        """What strict replay, the fault overlay and the drift check find once the test is
        over: (the problems, one per line or "", the drift outcome: same, drifted or None when
        not checked). `ran`: the test's body ran (so a drift check has a take to compare)."""
        problems: list[str | None] = []
        if passed:
            problems.append(self.unplayed())
            problems.append(self.parity_problem())
            unfired = self.overlay.unfired() if self.overlay is not None else []
            if unfired:
                problems.append(
                    f"{self.path}: fault {', '.join(f.id for f in unfired)} never struck: the "
                    "app made no such request or poll (`harness transcript` names the "
                    "recording's runs, streams and calls)"
                )
            broken = self.overlay.violations() if self.overlay is not None else []
            if broken:
                from harness.invariants import apis_of

                faults = ", ".join(f.id for f in self.overlay.faults) if self.overlay else ""
                problems.append(
                    f"fault overlay {faults}: the conversation the test was served breaks the "
                    f"{apis_of(broken)} protocol:\n" + "\n".join(f"  {line}" for line in broken)
                )
        outcome = None
        if self.drift and ran:
            drifted = self.drifted()
            outcome = "drifted" if drifted else "same"
            problems.append(drifted)
        return "\n".join(p for p in problems if p), outcome

    def parity_problem(self) -> str | None:
        """With marker `parity=`, how this test's conversation differs from the named
        recording's (None: the same)."""
        if self.parity is None:
            return None
        from harness.parity import compare, load, view
        from harness.parity.assertion import parity_message

        try:
            old = load(self.parity)
        except CassetteError as exc:
            return f"parity: {exc}"
        found = compare(old, view(self.cassette(), source=str(self.path)))
        return parity_message(str(self.parity), str(self.path), found) if found else None

    def unplayed(self, skipped_only: bool = False) -> str | None:
        """Under strict replay, the recorded requests the test never made (None: all made).

        `skipped_only`: only those recorded before a request the test did make, which no
        later request (a fixture's teardown, say) can make up for: what the test body
        itself skipped, known as soon as it returns."""
        player = self.session.player
        if not self.strict or self.mode != "replay" or self.overlay or player is None:
            return None
        try:
            unplayed = player.unplayed()  # reads the responses not served yet
        except CassetteFormatError as exc:
            return str(exc)
        if skipped_only:
            last = player.last_played()
            unplayed = [index for index in unplayed if index < last]
        return unplayed_message(
            self.session.cassette(), unplayed, self.path, self.session.record_hint
        )

    def drifted(self) -> str | None:
        """Under the drift check, the `harness diff` of the committed cassette and this
        test's fresh take (None: the same conversation)."""
        if not self.drift:
            return None
        from harness.diff import DiffReport, FileDiff, diff_cassettes
        from harness.diff.render import render

        hint = self.session.record_hint
        try:
            committed = read_cassette(self.path)
        except CassetteError as exc:
            return f"drift: nothing to compare with: {exc}"
        changes = diff_cassettes(committed, self.session.cassette())
        if not changes:
            return None
        file = FileDiff(self.path.name, "changed", tuple(changes))
        shown = render(DiffReport(f"{self.path} (committed)", "fresh take", (file,)))
        return (
            f"{self.path}: drift: the backend now answers differently from the committed "
            f"cassette:\n{shown}\nIf that is expected, re-record with: {hint}"
        )


@dataclass(frozen=True)
class TestIdentity:
    """Which test a cassette belongs to."""

    nodeid: str
    path: Path
    """The test file."""
    relative_module: Path
    """The test file below the root, without suffix: the cassette's folder below the
    cassette folder."""
    name: str
    """The test's name, with its class (`TestX.test_y[param]`)."""

    @property
    def record_hint(self) -> str:
        return self.record_command("emulator")

    def record_command(self, backend: str) -> str:
        """The command that re-records this test against `backend` (a live cassette is
        re-recorded live)."""
        flag = " --record-backend=live" if backend == "live" else ""
        return f"pytest --record{flag} '{self.nodeid}'"


def open_cassette(
    settings: Settings,
    test: TestIdentity,
    options: Mapping[str, Any],
    cassette_dir: Path,
    emulator: EmbeddedEmulator,
    *,
    others_pass: bool = False,
    taken: Path | None = None,
    faults: Sequence[Fault] = (),
) -> ActiveCassette:
    """The cassette for `test` under `options` (marker and `assistants_config`), opened for
    replay or recording as the record mode says; `HarnessError` with one line otherwise.

    `taken` is a file another cassette of this test uses (pytest-recording's, for a test
    marked `vcr` too): when the names meet, the harness's gets `.assistants.yaml`.
    `faults` are injected into a replay (`harness.faults`); recording ignores them."""
    redactor = Redactor.build(settings.secrets, settings.redact_patterns)
    path, legacy = cassette_location(
        cassette_dir, test.relative_module, test.name, options.get("name"), redactor.text
    )
    if taken is not None and path.resolve() == taken.resolve():
        path = path.with_suffix(".assistants.yaml")
    strict = options.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise ConfigError(f"{test.nodeid}: strict: expected True or False, got {strict!r}")
    if settings.drift:
        settings = dataclasses.replace(settings, record_mode="all")
    parity = options.get("parity")
    if parity is not None and not isinstance(parity, str | Path):
        raise ConfigError(f"{test.nodeid}: parity: expected a cassette path, got {parity!r}")

    def brain() -> Any:
        return load_test_brain(options.get("brain", settings.brain), test.path, test.nodeid)

    def backend() -> Backend:
        if settings.backend == "live":
            return live_backend(settings)
        return emulator.backend(test.nodeid, brain())

    session = CassetteSession.open(
        path,
        settings,
        record_hint=test.record_command,
        backend_factory=backend,
        test_id=test.nodeid,
        skip_sleep=bool(options.get("skip_sleep", False)),
        others_pass=others_pass,
        read_from=legacy if not path.exists() and _exists(legacy) else None,
    )
    overlay = None
    if faults and session.mode == "replay" and session.existing is not None:
        from harness.faults import FaultOverlay

        overlay = FaultOverlay(
            session.existing,
            faults,
            source=str(session.path),
            emulator=lambda: emulator.recorded(test.nodeid, brain()),
        )
        session.interception.override = overlay.answer
    return ActiveCassette(
        session,
        test,
        strict=settings.strict if strict is None else strict,
        drift=settings.drift,
        overlay=overlay,
        parity=test.path.parent / parity if parity is not None else None,
    )


def claim(
    claimed: dict[str, str], active: ActiveCassette, nodeid: str, run_id: str | None = None
) -> str:
    """Register `active`'s file for `nodeid`; the problem when another test of this run has
    it already ("" when not). Names differing only in case are one file (on macOS and
    Windows they are), and under xdist (`run_id`: the run's id) every worker's claims
    count. A fault overlay only reads its cassette, so it may share it."""
    if active.overlay is not None:
        return ""
    key = os.path.normcase(str(active.path.absolute())).casefold()
    owner = claimed.setdefault(key, nodeid)
    if owner == nodeid and run_id:
        owner = claim_across_processes(run_id, key, nodeid)
    if owner == nodeid:
        return ""
    return (
        f"{active.path}: {nodeid} and {owner} would share this cassette (names that differ "
        "only in case are one file on macOS and Windows); give one of them its own with "
        "@pytest.mark.assistants_cassette(name=...)"
    )


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long for the file system, say
        return False


class EmulatorHandle:
    """The `assistants_emulator` fixture: the emulator this test records against.

    In replay (or against a live server) nothing is asked of an emulator: `set_brain`
    still checks the rules, so a typo fails in replay too, but they decide nothing.
    Recording, `control_url` and `control_headers` (its token) reach `/_emulator/*`."""

    def __init__(self, active: ActiveCassette, emulator: EmbeddedEmulator) -> None:
        backend = active.backend
        self.recording = backend is not None and backend.name == "emulator"
        self.base_url = backend.base_url if self.recording else active.base_url
        self.control_url = emulator.control_url if self.recording else None
        self.control_headers = emulator.control_headers if self.recording else {}
        self._emulator = emulator
        self._active = active

    def set_brain(self, rules: Any) -> None:
        """Rules for the runs this test creates from now on (checked in replay where the
        emulator is installed: a replay-only install has nothing they could decide)."""
        test = self._active.test
        try:
            brain = load_test_brain(
                rules, test.path if test else Path.cwd() / "x", test.nodeid if test else "set_brain"
            )
        except MissingExtraError:
            if self.recording:
                raise
            return
        if self.recording:
            self._emulator.set_brain(brain)


@contextlib.contextmanager
def client(active: ActiveCassette) -> Iterator[Any]:
    """An `openai.OpenAI` bound to `active`; it shares one TLS context with every other
    such client, which replay never uses anyway."""
    import openai

    made = openai.OpenAI(
        base_url=active.base_url,
        api_key=_api_key(active),
        http_client=openai.DefaultHttpxClient(verify=_tls_context()),
    )
    try:
        yield made
    finally:
        made.close()


def async_client(active: ActiveCassette) -> Any:
    import openai

    return openai.AsyncOpenAI(
        base_url=active.base_url,
        api_key=_api_key(active),
        http_client=openai.DefaultAsyncHttpxClient(verify=_tls_context()),
    )


def _api_key(active: ActiveCassette) -> str:
    return active.backend.api_key if active.backend is not None else REPLAY_API_KEY


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Building one costs ~40 ms (the CA bundle); one per process is enough.
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()


_KINDS = (
    ("new", "new"),
    ("rewritten", "rewritten"),
    ("unchanged", "unchanged"),
    ("kept-failed", "kept failed"),
)


def failure_sections(active: ActiveCassette, failure: str) -> list[tuple[str, str]]:
    """What a recorded test's failure report adds: what the backend said went wrong, and
    the flag a first snapshot needs."""
    sections = []
    said = backend_said(active.cassette())
    if said:
        sections.append(("assistants: what the backend said", "\n".join(said)))
    if "Snapshot" in failure and "does not exist" in failure:
        sections.append(
            (
                "assistants: a new snapshot",
                "This test's snapshot does not exist yet: record with --snapshot-update too "
                "(syrupy's flag) to write it.",
            )
        )
    return sections


def summary_lines(entries: list[tuple[str, str]]) -> list[str]:
    """The "assistants cassettes" section: a line per written file, the counts, the drift
    check's tally, the notes."""
    counts = dict.fromkeys((kind for kind, _ in _KINDS), 0)
    lines: list[str] = []
    notes: dict[str, list[str]] = {}
    drift: dict[str, list[str]] = {"same": [], "drifted": []}
    deviations: dict[str, list[str]] = {}
    for key, value in entries:
        if key == "assistants_conformance":
            kind, _, where = value.partition("\t")
            deviations.setdefault(kind, []).append(where)
            continue
        if key == "assistants_note":
            test, _, note = value.partition(": ")
            notes.setdefault(note, []).append(test)
            continue
        if key == "assistants_drift":
            outcome, _, test = value.partition(" ")
            drift.setdefault(outcome, []).append(test)
            continue
        kind, _, path = value.partition(" ")
        counts[kind] = counts.get(kind, 0) + 1
        if kind in ("new", "rewritten"):
            lines.append(f"recorded ({kind}): {path}")
        elif kind == "kept-failed":
            lines.append(f"kept failed recording: {path}")
    if any(counts.values()):
        lines.append(", ".join(f"{counts[k]} {label}" for k, label in _KINDS))
    lines += [f"drifted: {test}" for test in drift["drifted"]]
    if drift["same"] or drift["drifted"]:
        checked = len(drift["same"]) + len(drift["drifted"])
        lines.append(f"drift check: {checked} checked, {len(drift['drifted'])} drifted")
    if deviations:
        lines.append(
            f"the live server deviated from the API in {len(deviations)} ways "
            "(`harness conformance CASSETTE...` lists them again):"
        )
        for kind, places in deviations.items():
            tests = f"{len(places)} cassettes, first" if len(places) > 1 else "in"
            lines.append(f"  {kind} ({tests} {places[0]})")
    return lines + [line for note, tests in notes.items() for line in _note_lines(note, tests)]


def _note_lines(note: str, tests: list[str]) -> list[str]:
    """A note once, however many tests it concerns: its first line names them."""
    first, *rest = note.splitlines()
    shown = ", ".join(tests[:3]) + (f" and {len(tests) - 3} more" if len(tests) > 3 else "")
    return [f"note: {first} ({shown})", *rest]
