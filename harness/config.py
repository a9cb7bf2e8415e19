"""Configuration's one home: options, ini keys and environment resolved once.

Order of precedence: command line > marker > `assistants_config` fixture > ini
> environment > default. The plugin reads raw values from pytest and hands them
to `resolve`; library code only ever sees the frozen `Settings`. Per-test
values (marker arguments, the fixture) are merged by `test_options`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.api.constants import API_PATH, OPENAI_BASE_URL
from harness.cassette.credentials import is_credential_name, looks_like_words
from harness.errors import ConfigError

RECORD_MODES = ("none", "once", "new_episodes", "all")
BACKENDS = ("emulator", "live")
TRACE_MODES = ("off", "on-failure", "always")
"""When a marked test writes its trace page (`--assistants-trace`, ini `assistants_trace`)."""
DEFAULT_LIVE_BASE_URL = OPENAI_BASE_URL
REPLAY_BASE_URL = "http://127.0.0.1:9" + API_PATH  # loopback discard port: nothing listens
SECRET_ENVIRONMENT = (
    "OPENAI_API_KEY",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_AD_TOKEN",
)
"""Environment variables whose values are live credentials."""
RECORD_IN_CI = "HARNESS_RECORD_IN_CI"
SANDBOXES = ("auto", "namespaces", "process")
MARKER_OPTIONS = ("name", "skip_sleep", "brain", "strict", "parity")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class Settings:
    record_mode: str = "none"
    """The mode in force: `none` in CI unless recording there is allowed."""
    requested_mode: str = "none"
    """The mode the command line asked for."""
    backend: str = "emulator"
    cassette_dir: Path = Path("cassettes")
    brain: Path | None = None
    strict: bool = False
    scenario_dirs: tuple[Path, ...] = ()
    filter_deprecations: bool = True
    live_base_url: str = DEFAULT_LIVE_BASE_URL
    live_api_key: str | None = None
    secrets: tuple[str, ...] = ()
    redact_patterns: tuple[str, ...] = field(default_factory=tuple)
    ci: bool = False
    drift: bool = False
    """`--assistants-drift`: record as usual, write nothing, compare with the committed."""
    trace: str = "on-failure"
    """When a marked test writes its trace page: one of `TRACE_MODES`."""
    replace_live: bool = False
    """`--record-replace-live`: a take of the emulator may replace a live recording."""
    sandbox: str = "auto"
    """How the embedded emulator holds code_interpreter code (`assistants_sandbox`):
    "process" opts in to running it without kernel isolation."""

    @property
    def ci_refused(self) -> bool:
        """Recording was asked for, and CI=true refused it."""
        return self.requested_mode != "none" and self.record_mode == "none"


def resolve(
    *,
    record_flag: bool,
    record_mode: str | None,
    backend_option: str | None,
    ini: Mapping[str, Any],
    rootdir: Path,
    environ: Mapping[str, str] = os.environ,
    drift: bool = False,
    trace_option: str | None = None,
    replace_live: bool = False,
) -> Settings:
    """Settings from the command line, the ini keys (`assistants_*`, given without the
    prefix: `cassette_dir`, `record_backend`, ...) and the environment."""
    mode = "all" if record_mode == "rewrite" else (record_mode or "none")
    if mode not in RECORD_MODES:
        raise ConfigError(
            f"--record-mode: unknown mode {mode!r}; choose one of {', '.join(RECORD_MODES)}"
        )
    if record_flag and mode == "none":
        mode = "all"
    if drift and mode != "none":
        raise ConfigError(
            "--assistants-drift compares fresh takes with the committed cassettes and writes "
            "nothing: drop --record / --record-mode"
        )
    ci = in_ci(environ)
    allowed_in_ci = _flag(environ.get(RECORD_IN_CI, ""), RECORD_IN_CI)
    backend = (
        backend_option
        or ini.get("record_backend")
        or environ.get("HARNESS_RECORD_BACKEND")
        or "emulator"
    )
    if backend not in BACKENDS:
        source = "--record-backend" if backend_option else "assistants_record_backend"
        raise ConfigError(f"{source}: unknown backend {backend!r}; choose emulator or live")
    cassette_dir = _folder(ini.get("cassette_dir") or "cassettes", rootdir, "cassette_dir")
    patterns = tuple(p for p in ini.get("redact_patterns") or () if p.strip())
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                f"assistants_redact_patterns: bad pattern {pattern!r} ({exc})"
            ) from None
    brain = ini.get("brain") or None
    sandbox = str(ini.get("sandbox") or "auto")
    if sandbox not in SANDBOXES:
        raise ConfigError(
            f"assistants_sandbox: unknown value {sandbox!r}; choose one of {', '.join(SANDBOXES)}"
        )
    trace = trace_option or str(ini.get("trace") or "").strip() or "on-failure"
    if trace not in TRACE_MODES:
        source = "--assistants-trace" if trace_option else "assistants_trace"
        raise ConfigError(f"{source}: unknown value {trace!r}; choose {', '.join(TRACE_MODES)}")
    return Settings(
        record_mode="none" if ci and not allowed_in_ci else mode,
        requested_mode=mode,
        backend=backend,
        cassette_dir=cassette_dir,
        brain=_file(brain, rootdir, "assistants_brain") if brain else None,
        strict=_flag(str(ini.get("strict") or ""), "assistants_strict"),
        scenario_dirs=tuple(
            _folder(d, rootdir, "scenario_dirs") for d in ini.get("scenario_dirs") or ()
        ),
        filter_deprecations=_flag(
            str(ini.get("filter_deprecations", "true")), "assistants_filter_deprecations"
        ),
        live_base_url=environ.get("OPENAI_BASE_URL") or DEFAULT_LIVE_BASE_URL,
        live_api_key=environ.get("OPENAI_API_KEY"),
        secrets=environment_secrets(environ),
        redact_patterns=patterns,
        ci=ci,
        drift=drift,
        trace=trace,
        replace_live=replace_live,
        sandbox=sandbox,
    )


def per_test_options(
    marker: Mapping[str, Any], fixture: Mapping[str, Any], where: str
) -> dict[str, Any]:
    """A test's own options: marker arguments over the `assistants_config` fixture's."""
    for source, values in (("marker", marker), ("assistants_config", fixture)):
        unknown = sorted(set(values) - set(MARKER_OPTIONS))
        if unknown:
            raise ConfigError(
                f"{where}: {source}: unknown option {unknown[0]!r}; "
                f"choose from {', '.join(MARKER_OPTIONS)}"
            )
    return {**fixture, **marker}


def environment_secrets(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The live credentials in the environment: the OpenAI and Azure variables, and
    every variable named like a credential (`GH_TOKEN`, `AWS_SECRET_ACCESS_KEY`, a
    model brain's `MODEL_API_KEY`), so that whatever a server echoes of them is
    redacted. Paths and words are not secrets (`PWD` names a folder)."""
    found = [environ.get(name) for name in SECRET_ENVIRONMENT]
    found += (
        value
        for name, value in environ.items()
        if is_credential_name(name)
        and value.strip()
        and not value.startswith(("/", "~", "."))
        and not looks_like_words(value)
    )
    return tuple(dict.fromkeys(value.strip() for value in found if value and value.strip()))


def in_ci(environ: Mapping[str, str]) -> bool:
    """`CI` as CI systems set it: `true`, `1`, `woodpecker`, `drone`... Any non-empty
    value but `false`/`0` (and the other spellings of no) means CI; never an error."""
    return environ.get("CI", "").strip().lower() not in _FALSE


def _flag(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name}: expected true or false, got {value!r}")


def _folder(value: str, rootdir: Path, key: str) -> Path:
    path = Path(value)
    if not path.is_absolute():
        path = rootdir / path
    if path.exists() and not path.is_dir():
        raise ConfigError(f"assistants_{key}: {path} is not a directory")
    return path


def _file(value: str, rootdir: Path, key: str) -> Path:
    path = Path(value)
    if not path.is_absolute():
        path = rootdir / path
    if not path.is_file():
        raise ConfigError(f"{key}: {path} is not a file")
    return path
