"""The cassette a test is using, as the test sees it: the `assistants_cassette` fixture.

It wraps the cassette layer's `CassetteSession` and adds what needs the layers
above it: the transcript of the conversation, and the comparison that keeps an
unchanged re-recording's file byte-identical.
"""

from __future__ import annotations

import contextlib
import functools
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.backends import EmbeddedEmulator, live_backend, load_test_brain
from harness.cassette.model import Cassette
from harness.cassette.naming import cassette_location
from harness.cassette.session import REPLAY_API_KEY, Backend, CassetteSession, Take
from harness.config import Settings
from harness.transcript import Transcript, transcript
from harness.transcript.compare import same_conversation


class ActiveCassette:
    """The active cassette of one test (replaying, recording, or both)."""

    def __init__(self, session: CassetteSession, test: TestIdentity | None = None) -> None:
        self.session = session
        self.test = test

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

    def cassette(self) -> Cassette:
        """The conversation as it stands: recorded so far, or as loaded."""
        return self.session.cassette()

    def transcript(self, *, usage: bool = False) -> Transcript:
        """The normalized conversation (`harness.transcript.Transcript`)."""
        return transcript(self.cassette(), source=str(self.path), usage=usage)

    def finish(self, passed: bool) -> Take:
        return self.session.finish(passed, same_conversation)


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
        return f"pytest --record '{self.nodeid}'"


def open_cassette(
    settings: Settings,
    test: TestIdentity,
    options: Mapping[str, Any],
    cassette_dir: Path,
    emulator: EmbeddedEmulator,
    *,
    others_pass: bool = False,
    taken: Path | None = None,
) -> ActiveCassette:
    """The cassette for `test` under `options` (marker and `assistants_config`), opened for
    replay or recording as the record mode says; `HarnessError` with one line otherwise.

    `taken` is a file another cassette of this test uses (pytest-recording's, for a test
    marked `vcr` too): when the names meet, the harness's gets `.assistants.yaml`."""
    path, legacy = cassette_location(
        cassette_dir, test.relative_module, test.name, options.get("name")
    )
    if taken is not None and path.resolve() == taken.resolve():
        path = path.with_suffix(".assistants.yaml")

    def backend() -> Backend:
        if settings.backend == "live":
            return live_backend(settings)
        brain = options.get("brain", settings.brain)
        return emulator.backend(test.nodeid, load_test_brain(brain, test.path, test.nodeid))

    session = CassetteSession.open(
        path,
        settings,
        record_hint=test.record_hint,
        backend_factory=backend,
        test_id=test.nodeid,
        skip_sleep=bool(options.get("skip_sleep", False)),
        others_pass=others_pass,
        read_from=legacy if not path.exists() and _exists(legacy) else None,
    )
    return ActiveCassette(session, test)


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long for the file system, say
        return False


class EmulatorHandle:
    """The `assistants_emulator` fixture: the emulator this test records against.

    In replay (or against a live server) nothing is asked of an emulator: `set_brain`
    still checks the rules, so a typo fails in replay too, but they decide nothing."""

    def __init__(self, active: ActiveCassette, emulator: EmbeddedEmulator) -> None:
        backend = active.backend
        self.recording = backend is not None and backend.name == "emulator"
        self.base_url = backend.base_url if self.recording else active.base_url
        self._emulator = emulator
        self._active = active

    def set_brain(self, rules: Any) -> None:
        """Rules for the runs this test creates from now on."""
        test = self._active.test
        brain = load_test_brain(
            rules, test.path if test else Path.cwd() / "x", test.nodeid if test else "set_brain"
        )
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


def summary_lines(entries: list[tuple[str, str]]) -> list[str]:
    """The "assistants cassettes" section: a line per written file, the counts, the notes."""
    counts = dict.fromkeys((kind for kind, _ in _KINDS), 0)
    lines: list[str] = []
    notes: list[str] = []
    for key, value in entries:
        if key == "assistants_note":
            notes.append(f"note: {value}")
            continue
        kind, _, path = value.partition(" ")
        counts[kind] = counts.get(kind, 0) + 1
        if kind in ("new", "rewritten"):
            lines.append(f"recorded ({kind}): {path}")
        elif kind == "kept-failed":
            lines.append(f"kept failed recording: {path}")
    if any(counts.values()):
        lines.append(", ".join(f"{counts[k]} {label}" for k, label in _KINDS))
    return lines + notes
