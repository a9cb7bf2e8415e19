"""One cassette in use: what the record mode means for it, from start to end.

`CassetteSession.open` decides, from the record mode and whether the file
exists, to replay, record, or both (`new_episodes`). While `active()`, the
SDK's traffic goes through the player or to the backend; `finish(passed)`
keeps a passing recording and sets a failing one aside, leaving the old
cassette untouched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness import __version__
from harness.cassette.interceptor import Interception, intercept
from harness.cassette.model import Cassette
from harness.cassette.player import Player
from harness.cassette.recorder import Recorder
from harness.cassette.redact import Redactor
from harness.cassette.storage import failed_path, locked, read_cassette, write_cassette
from harness.config import REPLAY_BASE_URL, Settings
from harness.errors import CassetteNotFoundError

REPLAY_API_KEY = "harness-replay-key"
EMULATOR_API_KEY = "harness-emulator-key"


@dataclass(frozen=True)
class Backend:
    """Where recorded traffic goes: a base URL and the key to use there."""

    name: str
    base_url: str
    api_key: str


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
    ) -> None:
        self.path = path
        self.settings = settings
        self.existing = existing
        self.backend = backend
        self.record_hint = record_hint
        self.test_id = test_id
        self.skip_sleep = skip_sleep
        replaying = existing is not None
        self.player = Player(existing) if replaying and existing is not None else None
        redactor = Redactor.build(
            (*settings.secrets, backend.api_key if backend else None), settings.redact_patterns
        )
        self.recorder = (
            Recorder(redactor, start=existing.interactions if existing is not None else None)
            if backend is not None
            else None
        )
        base_url = backend.base_url if backend else REPLAY_BASE_URL
        recorded_base = (existing.meta.get("base_path") if existing else None) or None
        self.base_url = base_url
        self.base_path = (
            recorded_base
            if backend is None and recorded_base
            else urlsplit(base_url).path.rstrip("/")
        )
        self.interception = Interception(
            player=self.player,
            recorder=self.recorder,
            base_path=self.base_path,
            source=str(path),
            rerecord_hint=record_hint,
            redactor=redactor,
        )
        self.kept: Path | None = None

    @classmethod
    def open(
        cls,
        path: Path,
        settings: Settings,
        *,
        record_hint: str,
        backend_factory: Callable[[], Backend],
        test_id: str = "",
        skip_sleep: bool = False,
    ) -> CassetteSession:
        mode = settings.record_mode
        exists = path.exists()
        if not exists and (mode == "none" or settings.ci):
            why = " (CI=true never records)" if settings.ci and mode != "none" else ""
            raise CassetteNotFoundError(
                f"{path}: cassette not found{why}; record it with: {record_hint}"
            )
        existing = read_cassette(path, record_hint) if exists and mode != "all" else None
        records = mode == "all" or not exists or mode == "new_episodes"
        return cls(
            path,
            settings,
            existing=existing,
            backend=backend_factory() if records else None,
            record_hint=record_hint,
            test_id=test_id,
            skip_sleep=skip_sleep,
        )

    @property
    def recording(self) -> bool:
        return self.recorder is not None

    @property
    def mode(self) -> str:
        if self.recorder is None:
            return "replay"
        return "record" if self.player is None else "replay+record"

    @contextlib.contextmanager
    def active(self) -> Iterator[CassetteSession]:
        """Route HTTP through the cassette and point `OpenAI()` at it."""
        api_key = self.backend.api_key if self.backend else REPLAY_API_KEY
        env = {"OPENAI_BASE_URL": self.base_url, "OPENAI_API_KEY": api_key}
        saved = {name: os.environ.get(name) for name in env}
        os.environ.update(env)
        try:
            with intercept(
                self.interception,
                skip_waits=not self.recording,
                skip_sleep=self.skip_sleep and not self.recording,
            ):
                yield self
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def cassette(self) -> Cassette:
        """The conversation as it stands: recorded so far, or as loaded."""
        if self.recorder is not None:
            meta = self.recorder.redactor.meta(self._meta())  # a key in OPENAI_BASE_URL, say
            return Cassette(meta=meta, interactions=list(self.recorder.interactions))
        assert self.existing is not None
        return self.existing

    def transcript(self, *, usage: bool = False) -> Any:
        """The normalized conversation (`harness.transcript.Transcript`)."""
        from harness.transcript import transcript

        return transcript(self.cassette(), source=str(self.path), usage=usage)

    def finish(self, passed: bool) -> Path | None:
        """Keep what was recorded; returns the file written, if any."""
        if self.recorder is None or self.recorder.new == 0:
            return None
        cassette = self.cassette()
        if not passed:
            target = failed_path(self.path)
            write_cassette(target, cassette)
            self.kept = target
            return target
        with locked(self.path):
            if self.existing is not None and self.existing.interactions == cassette.interactions:
                return None
            write_cassette(self.path, cassette)
            failed = failed_path(self.path)
            if failed.exists():
                failed.unlink()
        self.kept = self.path
        return self.path

    def _meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "harness": __version__,
            "sdk": _sdk_version(),
            "backend": self.backend.name if self.backend else "replay",
        }
        if self.backend is not None and self.backend.name == "live":
            meta["base_host"] = urlsplit(self.backend.base_url).hostname
        meta["base_path"] = self.base_path
        if self.test_id:
            meta["test"] = self.test_id
        meta["recorded_at"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return meta


def _sdk_version() -> str:
    try:
        import openai

        return f"openai {openai.__version__}"
    except ImportError:
        return "openai (not installed)"
