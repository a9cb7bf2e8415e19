"""One cassette in use by one test: what the record mode means for it, from start to finish.

`CassetteSession.open` decides, from the record mode and whether the file
exists, to replay, record, or both (`new_episodes`). While `active()`, HTTP
goes through the session's `Interception` and the SDK is pointed at it;
`finish(passed)` keeps a passing take (or leaves an equivalent cassette
byte-identical) and sets a failing one aside, leaving the old cassette as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

from harness import __version__
from harness.adapters import openai_sdk, vcrpy
from harness.cassette.interception import Interception, Responder
from harness.cassette.model import Cassette
from harness.cassette.player import Player
from harness.cassette.recorder import Recorder
from harness.cassette.redact import Redactor
from harness.cassette.storage import (
    failed_path,
    locked,
    read_cassette,
    refuse_newer_format,
    write_cassette,
)
from harness.cassette.upstream import Upstream
from harness.config import REPLAY_BASE_URL, Settings
from harness.errors import (
    CassetteError,
    CassetteNotFoundError,
    ForeignRequestError,
    LiveCassetteError,
)

REPLAY_API_KEY = "harness-replay-key"
EMULATOR_API_KEY = "harness-emulator-key"
SameTake = Callable[[Cassette, Cassette], bool]
RecordHint = str | Callable[[str], str]
"""The command that records a test, or a function of the backend to record it with."""


@dataclass(frozen=True)
class Backend:
    """Where recorded traffic goes: a base URL and the key to use there; `responder`
    answers in process (the embedded emulator); `brain` says what decided its answers."""

    name: str
    base_url: str
    api_key: str
    responder: Responder | None = None
    brain: str | None = None


@dataclass(frozen=True)
class Take:
    """What `finish` did: `kind` is new, rewritten, unchanged, kept-failed or none."""

    kind: str
    path: Path | None = None


class CassetteSession:
    def __init__(
        self,
        path: Path,
        settings: Settings,
        *,
        existing: Cassette | None,
        backend: Backend | None,
        record_hint: str,
        test_id: str = "",
        skip_sleep: bool = False,
        others_pass: bool = False,
        on_disk: Cassette | None = None,
    ) -> None:
        """`on_disk` is the cassette at `path` when `existing` (what replay plays) is not it:
        in `all` mode, which replays nothing but compares the new take with it."""
        self.path = path
        self.settings = settings
        self.existing = existing
        self.backend = backend
        self.record_hint = record_hint
        self.test_id = test_id
        self.skip_sleep = skip_sleep
        self.player = Player(existing) if existing is not None else None
        self._on_disk = existing if existing is not None else on_disk
        redactor = Redactor.build(
            (*settings.secrets, backend.api_key if backend else None), settings.redact_patterns
        )
        self.recorder = (
            Recorder(redactor, start=existing.interactions if existing is not None else None)
            if backend is not None
            else None
        )
        self.base_url = backend.base_url if backend else REPLAY_BASE_URL
        # Where the app's clients pointed before the test (built at import time, say).
        upstream = Upstream.from_environment(os.environ)
        self.interception = Interception(
            player=self.player,
            recorder=self.recorder,
            redactor=redactor,
            api_urls=self._api_urls(),
            source=str(path),
            rerecord_hint=record_hint,
            responder=backend.responder if backend else None,
            others_pass=others_pass,
            app_urls=upstream.urls(),
            upstream=upstream if backend is not None and backend.responder is not None else None,
            live=(
                Upstream(backend.base_url, backend.api_key)
                if backend is not None and backend.responder is None
                else None
            ),
        )

    @classmethod
    def open(
        cls,
        path: Path,
        settings: Settings,
        *,
        record_hint: RecordHint,
        backend_factory: Callable[[], Backend],
        test_id: str = "",
        skip_sleep: bool = False,
        others_pass: bool = False,
        read_from: Path | None = None,
    ) -> CassetteSession:
        """`read_from` is where an existing cassette of this test is, when not at `path`.

        A cassette recorded live is re-recorded live: its hints say so, and a take of
        another backend may replace it only when `settings.replace_live` says so."""
        source = read_from or path
        mode = settings.record_mode
        exists = source.exists()
        if not exists and mode == "none":
            hint = record_hint(settings.backend) if callable(record_hint) else record_hint
            raise CassetteNotFoundError(
                f"{path}: cassette not found; {_how_to_record(settings, hint)}"
            )
        if exists and mode != "none":
            refuse_newer_format(source)
        records = mode == "all" or mode == "new_episodes" or not exists
        # Replay reads each recorded response as it serves it (a cassette of ten thousand
        # exchanges is ready at once); a bad one fails the test that is served it.
        existing = (
            read_cassette(source, _text(record_hint), responses_later=True)
            if exists and mode != "all"
            else None
        )
        # `all` replays nothing, but the file on disk still says who made it and, at the
        # end, whether the new take changed it: read it once, here.
        peeked = _peek(source) if exists and mode == "all" else None
        made_by = _made_by(existing if existing is not None else peeked)
        hint = (
            record_hint("live" if made_by == "live" else settings.backend)
            if callable(record_hint)
            else record_hint
        )
        if (
            records
            and made_by == "live"
            and settings.backend != "live"
            and not settings.replace_live
            and not settings.drift
        ):
            raise LiveCassetteError(
                f"{path}: recorded live, so a take of the {settings.backend} would replace it; "
                f"record it live again with: {hint} (or add --record-replace-live to "
                "replace it anyway)"
            )
        return cls(
            path,
            settings,
            existing=existing,
            backend=backend_factory() if records else None,
            record_hint=hint,
            test_id=test_id,
            skip_sleep=skip_sleep,
            others_pass=others_pass,
            on_disk=peeked if source == path else None,
        )

    @property
    def recording(self) -> bool:
        return self.recorder is not None

    @property
    def mode(self) -> str:
        if self.recorder is None:
            return "replay"
        return "record" if self.player is None else "replay+record"

    @property
    def misses(self) -> list[CassetteError]:
        """Requests replay could not answer (each also raised where it was made)."""
        return list(self.interception.misses)

    @property
    def foreign(self) -> list[ForeignRequestError]:
        return [m for m in self.interception.misses if isinstance(m, ForeignRequestError)]

    @contextlib.contextmanager
    def active(self) -> Iterator[CassetteSession]:
        """Route HTTP through the cassette and point `OpenAI()` / `AzureOpenAI()` at it."""
        api_key = self.backend.api_key if self.backend else REPLAY_API_KEY
        env = {"OPENAI_BASE_URL": self.base_url, "OPENAI_API_KEY": api_key}
        if self.backend is None or self.backend.name == "emulator":
            env["AZURE_OPENAI_ENDPOINT"] = _root(self.base_url)
            env["AZURE_OPENAI_API_KEY"] = api_key
        with contextlib.ExitStack() as stack:
            stack.enter_context(mock.patch.dict(os.environ, env))
            stack.enter_context(vcrpy.patch_transports(self.interception))
            # Replay never waits; nor does recording against the emulator, whose runs
            # move on as soon as a client has seen them.
            if self.backend is None or self.backend.responder is not None:
                stack.enter_context(openai_sdk.no_waits())
            if self.skip_sleep and not self.recording:
                stack.enter_context(_no_sleep())
            yield self

    def cassette(self) -> Cassette:
        """The conversation as it stands: recorded so far, or as loaded."""
        if self.recorder is not None:
            meta = self.recorder.redactor.meta(self._meta())  # a key in OPENAI_BASE_URL, say
            return Cassette(meta=meta, interactions=list(self.recorder.interactions))
        assert self.existing is not None
        return self.existing

    def finish(self, passed: bool, same: SameTake | None = None) -> Take:
        """Keep what was recorded (see the module docstring)."""
        if self.recorder is None:
            return Take("none")
        cassette = self.cassette()
        if not passed:
            if self.recorder.new == 0:
                return Take("none")
            target = failed_path(self.path)
            with locked(target):
                write_cassette(target, cassette)
            _ignore_failed_takes(target.parent)
            return Take("kept-failed", target)
        with locked(self.path):
            old = self._committed()
            failed = failed_path(self.path)
            if old is not None and (
                old.interactions == cassette.interactions or (same and same(old, cassette))
            ):
                kind = "unchanged"
            else:
                write_cassette(self.path, cassette)
                kind = "new" if old is None else "rewritten"
            if failed.exists():
                failed.unlink()
        return Take(kind, self.path)

    def _committed(self) -> Cassette | None:
        """The cassette on disk now, if it can be read."""
        if self._on_disk is not None:
            return self._on_disk
        try:
            return read_cassette(self.path) if self.path.exists() else None
        except CassetteError:
            return None  # unreadable: the new take replaces it

    def _api_urls(self) -> tuple[str, ...]:
        urls = [self.base_url]
        if self.backend is None or self.backend.name == "emulator":
            urls.append(_root(self.base_url))
        elif os.environ.get("AZURE_OPENAI_ENDPOINT"):
            urls.append(os.environ["AZURE_OPENAI_ENDPOINT"])
        return tuple(urls)

    def _meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "harness": __version__,
            "sdk": _sdk_version(),
            "backend": self.backend.name if self.backend else "replay",
        }
        if self.backend is not None and self.backend.name == "live":
            meta["base_host"] = urlsplit(self.backend.base_url).hostname
        if self.backend is not None and self.backend.brain:
            meta["brain"] = self.backend.brain
        bases = self.interception.base_paths
        meta["base_path"] = bases[0] if bases else urlsplit(self.base_url).path.rstrip("/")
        if self.test_id:
            meta["test"] = self.test_id
        return meta


FAILED_PATTERNS = ("*.failed.yaml", "*.failed.html")
"""Kept failed takes and their trace pages (`harness.show.failure`)."""


def _ignore_failed_takes(folder: Path) -> None:
    """Make sure git ignores kept failed takes (and their trace pages) in `folder`: they are
    for reading, not for committing beside the cassettes."""
    ignore = folder / ".gitignore"
    try:
        lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.exists() else []
        missing = [p for p in FAILED_PATTERNS if p not in (line.strip() for line in lines)]
        if not missing:
            return
        with ignore.open("a", encoding="utf-8") as out:
            if lines and lines[-1].strip():
                out.write("\n")
            out.write("# kept failed recordings (pytest --record), not cassettes\n")
            out.write("".join(f"{pattern}\n" for pattern in missing))
    except OSError:
        pass  # a read-only folder: the take is kept all the same


def _text(hint: RecordHint) -> str:
    return hint("emulator") if callable(hint) else hint


def _peek(path: Path) -> Cassette | None:
    """The cassette at `path` when it can be read (one about to be replaced may not)."""
    try:
        return read_cassette(path)
    except CassetteError:
        return None


def _made_by(cassette: Cassette | None) -> str | None:
    """The backend a cassette was recorded against (`live`, `emulator`), from its meta."""
    if cassette is None:
        return None
    backend = cassette.meta.get("backend")
    return backend if isinstance(backend, str) else None


def _how_to_record(settings: Settings, hint: str) -> str:
    if settings.ci:
        return (
            f"CI=true never records (set HARNESS_RECORD_IN_CI=1 to allow it); "
            f"record it locally with: {hint}"
        )
    return f"record it with: {hint}"


def _root(base_url: str) -> str:
    """The server's root URL: what `AzureOpenAI(azure_endpoint=...)` takes."""
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def _sdk_version() -> str:
    try:
        import openai

        return f"openai {openai.__version__}"
    except ImportError:
        return "openai (not installed)"


@contextlib.contextmanager
def _no_sleep() -> Iterator[None]:
    """Make `time.sleep` and `asyncio.sleep` return at once (opt-in)."""
    real_async_sleep = asyncio.sleep

    async def instant(delay: float, result: Any = None) -> Any:
        await real_async_sleep(0)
        return result

    with (
        mock.patch.object(time, "sleep", lambda seconds: None),
        mock.patch.object(asyncio, "sleep", instant),
    ):
        yield
