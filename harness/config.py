"""Configuration's one home: options, ini keys and environment resolved once.

Order of precedence: command line > marker > ini > environment > default.
The plugin reads raw values from pytest and hands them to `resolve`; library
code only ever sees the frozen `Settings`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import ConfigError

RECORD_MODES = ("none", "once", "new_episodes", "all")
BACKENDS = ("emulator", "live")
DEFAULT_LIVE_BASE_URL = "https://api.openai.com/v1"
REPLAY_BASE_URL = "http://127.0.0.1:9/v1"  # loopback discard port: nothing listens


@dataclass(frozen=True)
class Settings:
    record_mode: str = "none"
    backend: str = "emulator"
    cassette_dir: Path = Path("cassettes")
    live_base_url: str = DEFAULT_LIVE_BASE_URL
    live_api_key: str | None = None
    secrets: tuple[str, ...] = ()
    redact_patterns: tuple[str, ...] = field(default_factory=tuple)
    ci: bool = False

    @property
    def records(self) -> bool:
        return self.record_mode != "none"


def resolve(
    *,
    record_flag: bool,
    record_mode: str | None,
    backend_option: str | None,
    ini_backend: str | None,
    ini_cassette_dir: str | None,
    ini_redact_patterns: Sequence[str] = (),
    rootdir: Path,
    environ: Mapping[str, str] = os.environ,
) -> Settings:
    mode = "all" if record_mode == "rewrite" else (record_mode or "none")
    if mode not in RECORD_MODES:
        raise ConfigError(
            f"--record-mode: unknown mode {mode!r}; choose one of {', '.join(RECORD_MODES)}"
        )
    if record_flag and mode == "none":
        mode = "all"
    backend = backend_option or ini_backend or environ.get("HARNESS_RECORD_BACKEND") or "emulator"
    if backend not in BACKENDS:
        source = "--record-backend" if backend_option else "assistants_record_backend"
        raise ConfigError(f"{source}: unknown backend {backend!r}; choose emulator or live")
    cassette_dir = Path(ini_cassette_dir or "cassettes")
    if not cassette_dir.is_absolute():
        cassette_dir = rootdir / cassette_dir
    if cassette_dir.exists() and not cassette_dir.is_dir():
        raise ConfigError(f"assistants_cassette_dir: {cassette_dir} is not a directory")
    for pattern in ini_redact_patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                f"assistants_redact_patterns: bad pattern {pattern!r} ({exc})"
            ) from None
    secrets = tuple(
        value
        for name in ("OPENAI_API_KEY", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "AZURE_OPENAI_API_KEY")
        if (value := environ.get(name))
    )
    return Settings(
        record_mode=mode,
        backend=backend,
        cassette_dir=cassette_dir,
        live_base_url=environ.get("OPENAI_BASE_URL") or DEFAULT_LIVE_BASE_URL,
        live_api_key=environ.get("OPENAI_API_KEY"),
        secrets=secrets,
        redact_patterns=tuple(p for p in ini_redact_patterns if p.strip()),
        ci=environ.get("CI", "").strip().lower() in ("1", "true", "yes"),
    )
