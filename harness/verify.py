"""`harness verify` and `harness scrub`: secrets in cassettes already on disk.

`verify` reads each cassette as text and reports every secret-looking match,
with file, line and column, using the recorder's own redaction patterns, the
credentials in this process's environment and a few extra patterns for
credentials of other services. It never prints a secret whole. `scrub`
parses each cassette, redacts it as a recording would be, and replaces the
file atomically (under the cassette's lock) when anything changed.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

import yaml

from harness.cassette.format import dumps, loads
from harness.cassette.model import Cassette
from harness.cassette.redact import (
    REDACTED,
    SECRET_REQUEST_HEADERS,
    SECRET_RESPONSE_HEADERS,
    Redactor,
)
from harness.cassette.storage import locked, write_atomic
from harness.errors import CassetteError

EXIT_CLEAN = 0
EXIT_FOUND = 1
EXIT_ERROR = 2

# Credentials the recorder's patterns do not aim at, but a cassette must not hold.
EXTRA_PATTERNS: tuple[tuple[str, str], ...] = (
    ("AWS access key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{30,}"),
    ("Slack token", r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"),
    ("Google API key", r"\bAIza[0-9A-Za-z_\-]{35}"),
    ("private key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    (
        "credential field",
        r"""(?ix)"(?:[a-z0-9_\-]*[_\-])?(?:authorization|api[_\-]?key|cookie|password
        |secret|access[_\-]token|refresh[_\-]token|session[_\-]token|subscription[_\-]key)"
        \s*:\s*"(?!<redacted>")[^"]+\"""",
    ),
)
# The environment variables whose values are the live credentials.
SECRET_ENVIRONMENT = (
    "OPENAI_API_KEY",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "AZURE_OPENAI_API_KEY",
)
_SKIP_ENV_VALUES = {"harness-replay-key", "harness-emulator-key"}


@dataclass(frozen=True)
class Finding:
    """One secret-looking match in a file (its text is never shown whole)."""

    path: Path
    line: int
    column: int
    kind: str
    text: str

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}:{self.column}: possible secret ({self.kind}) "
            f"{mask(self.text)}; remove it with: harness scrub {self.path}"
        )


def mask(text: str) -> str:
    """Enough of a secret to find it again, not enough to use it."""
    shown = text[:4] if len(text) >= 12 else text[:2]
    return f"{shown}\u2026 ({len(text)} chars)"


def _environment_secrets() -> tuple[str, ...]:
    values = (os.environ.get(name, "") for name in SECRET_ENVIRONMENT)
    return tuple(v for v in values if len(v) >= 8 and v not in _SKIP_ENV_VALUES)


class _Scanner:
    def __init__(self, patterns: Sequence[str]) -> None:
        secrets = _environment_secrets()
        self.rules: list[tuple[str, re.Pattern[str]]] = []
        if secrets:
            self.rules.append(
                ("credential from the environment", re.compile("|".join(map(re.escape, secrets))))
            )
        every = (*Redactor().patterns, *patterns)
        self.rules.append(("redaction pattern", re.compile("|".join(f"(?:{p})" for p in every))))
        self.rules.extend((kind, re.compile(regex)) for kind, regex in EXTRA_PATTERNS)

    def scan(self, path: Path, text: str) -> Iterator[Finding]:
        starts = [0] + [m.end() for m in re.finditer("\n", text)]
        seen: set[tuple[int, int]] = set()
        found: list[Finding] = []
        for kind, regex in self.rules:
            for match in regex.finditer(text):
                if any(s <= match.start() < e for s, e in seen):
                    continue
                seen.add((match.start(), match.end()))
                line = _line_of(starts, match.start())
                column = match.start() - starts[line - 1] + 1
                found.append(Finding(path, line, column, kind, match.group()))
        yield from sorted(found, key=lambda f: (f.line, f.column))


def _line_of(starts: list[int], offset: int) -> int:
    low, high = 0, len(starts)
    while high - low > 1:
        middle = (low + high) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle
    return low + 1


def cassette_files(paths: Iterable[str]) -> Iterator[Path]:
    """Each named file, and the `*.yaml`/`*.yml` files under each named folder."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                if found.suffix in (".yaml", ".yml") and found.is_file():
                    yield found
        else:
            yield path


def _check_patterns(patterns: Sequence[str], out: TextIO) -> bool:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            print(f"--pattern {pattern!r}: not a regular expression ({exc})", file=out)
            return False
    return True


def _read(path: Path, out: TextIO) -> str | None:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        print(f"{path}: cannot read ({exc.strerror or exc})", file=out)
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        print(f"{path}: not a text cassette (byte {exc.start} is not UTF-8)", file=out)
        return None


def verify_main(paths: list[str], patterns: list[str], *, out: TextIO | None = None) -> int:
    """Report secret-looking text in cassettes: 0 clean, 1 found, 2 unreadable."""
    out = out or sys.stdout
    if not _check_patterns(patterns, out):
        return EXIT_ERROR
    scanner = _Scanner(patterns)
    status, files = EXIT_CLEAN, 0
    for path in cassette_files(paths):
        text = _read(path, out)
        if text is None:
            status = EXIT_ERROR
            continue
        files += 1
        for finding in scanner.scan(path, text):
            print(finding, file=out)
            status = max(status, EXIT_FOUND)
    if status == EXIT_CLEAN:
        print(f"harness verify: {files} cassette file(s), no secrets found", file=out)
    return status


def scrub_text(text: str, source: str, redactor: Redactor) -> str:
    """The cassette text with every secret redacted (format kept)."""
    cassette = loads(text, source)
    if cassette.meta.get("migrated_from") == "vcrpy":
        return _scrub_vcrpy(text, redactor)
    scrubbed = Cassette(
        meta=redactor.data(cassette.meta),
        interactions=[
            replace(redactor.interaction(i), repeat=i.repeat) for i in cassette.interactions
        ],
        format=cassette.format,
    )
    result = dumps(scrubbed)
    # Nothing to redact: leave the file byte for byte, however it is spelled.
    return text if result == dumps(cassette) else result


def _scrub_vcrpy(text: str, redactor: Redactor) -> str:
    """A vcrpy cassette stays a vcrpy cassette: its strings are redacted in place."""
    data = yaml.safe_load(text)
    for item in data.get("interactions") or ():
        for part in ("request", "response"):
            headers = (item.get(part) or {}).get("headers")
            if isinstance(headers, dict):
                for name in list(headers):
                    if str(name).lower() in _VCR_SECRET_HEADERS:
                        headers[name] = [REDACTED]
    return str(yaml.safe_dump(redactor.data(data), sort_keys=True, allow_unicode=True))


_VCR_SECRET_HEADERS = SECRET_REQUEST_HEADERS | SECRET_RESPONSE_HEADERS


def scrub_main(paths: list[str], patterns: list[str], *, out: TextIO | None = None) -> int:
    """Redact cassettes in place: 0 done (changed or clean), 2 some file unreadable."""
    out = out or sys.stdout
    if not _check_patterns(patterns, out):
        return EXIT_ERROR
    redactor = Redactor.build(_environment_secrets(), patterns)
    status = EXIT_CLEAN
    for path in cassette_files(paths):
        with locked(path):
            text = _read(path, out)
            if text is None:
                status = EXIT_ERROR
                continue
            try:
                scrubbed = scrub_text(text, str(path), redactor)
            except CassetteError as exc:
                print(exc, file=out)
                status = EXIT_ERROR
                continue
            if scrubbed == text:
                print(f"{path}: clean", file=out)
                continue
            write_atomic(path, scrubbed)
        print(f"{path}: scrubbed", file=out)
    return status
