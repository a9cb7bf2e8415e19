"""`harness verify` and `harness scrub`: secrets in cassettes already on disk.

Both read a cassette with the recorder's own redactor (`cassette.redact`),
plus the credentials in this process's environment and users' `--pattern`s:
`verify` reports each secret redaction would remove (file, line, column,
kind; never the secret whole), including base64 forms, secrets split across
streamed events and YAML comments; `scrub` removes exactly those (a comment line
that holds one goes, every other comment stays where it was), replacing the file
atomically under the cassette's lock and keeping its mode; a file with nothing to
remove is left byte for byte. A vcrpy cassette is checked and scrubbed in its own
format.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

import orjson
import yaml

from harness import escape, safe_yaml
from harness.cassette.comments import carry_comments
from harness.cassette.credentials import (
    IDENTITY_HEADERS,
    REDACTED,
    is_credential_name,
    learns_request_header,
)
from harness.cassette.format import dumps, loads
from harness.cassette.model import Cassette
from harness.cassette.redact import Hit, Redactor, credentials
from harness.cassette.storage import locked, read_file, write_atomic
from harness.config import environment_secrets
from harness.errors import CassetteError

EXIT_CLEAN = 0
EXIT_FOUND = 1
EXIT_ERROR = 2


@dataclass(frozen=True)
class Finding:
    """One secret in a file (its text is never shown whole)."""

    path: Path
    line: int
    column: int
    kind: str
    text: str

    def describe(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}"
        return f"{where}: possible secret ({self.kind}) {mask(self.text)}"

    def __str__(self) -> str:
        return f"{self.describe()}; remove it with: harness scrub {self.path}"


@dataclass(frozen=True)
class Audit:
    """What a cassette holds that redaction would remove, and the text without it."""

    findings: list[Finding]
    scrubbed: str


def mask(text: str) -> str:
    """Enough of a secret to find it again, not enough to use it."""
    shown = text[:4] if len(text) >= 12 else text[:2]
    return f"{shown}\u2026 ({len(text)} chars)"


def redactor_for(patterns: Sequence[str]) -> Redactor:
    """The recorder's redactor, knowing this environment's credentials."""
    return Redactor.build(environment_secrets(os.environ), patterns)


def audit(path: Path, text: str, patterns: Sequence[str] = ()) -> Audit:
    """Every secret in one cassette's `text`; raises `CassetteError` if it is not one."""
    cassette = loads(text, str(path))
    redactor = redactor_for(patterns)
    if cassette.meta.get("migrated_from") == "vcrpy":
        data, hits = _scan_vcrpy(safe_yaml.load(text), redactor)
        scrubbed = _dump_vcrpy(data)
    else:
        cassette, hits = _scan(cassette, redactor)
        scrubbed = dumps(cassette)
    findings = _Locator(path, text).findings(hits)
    in_comments = _comment_findings(path, text, redactor)
    findings += in_comments
    findings.sort(key=lambda f: (f.line, f.column))
    if not findings:
        return Audit(findings, text)
    # A reviewer's comments stay; a comment that holds a secret goes.
    return Audit(findings, carry_comments(text, scrubbed, {f.line for f in in_comments}))


def _scan(cassette: Cassette, redactor: Redactor) -> tuple[Cassette, list[tuple[int, Hit]]]:
    # Learn from the whole file first: a key sent in the fifth request's header
    # is a secret in the second one's body too.
    for request, response in cassette.exchanges():
        redactor.learning(credentials(request, response))
    meta, found = redactor.scan_data(cassette.meta, "meta")
    hits = [(0, hit) for hit in found]
    interactions = []
    for number, interaction in enumerate(cassette.interactions):
        redacted, found = redactor.scan_interaction(interaction)
        interactions.append(replace(redacted, repeat=interaction.repeat))
        hits += [(_region(number, hit.part), hit) for hit in found]
    return Cassette(meta=meta, interactions=interactions, format=cassette.format), hits


def _scan_vcrpy(data: Any, redactor: Redactor) -> tuple[Any, list[tuple[int, Hit]]]:
    """A vcrpy cassette's strings redacted in place; credential headers emptied."""
    items = data.get("interactions") or []
    for item in items:
        for part, learns in (("request", learns_request_header), ("response", _credential)):
            for name, values in _vcr_headers(item, part):
                if learns(name):
                    redactor.learning(v for v in values if isinstance(v, str))
    hits: list[tuple[int, Hit]] = []
    for number, item in enumerate(items):
        for part in ("request", "response"):
            section = item.get(part) if isinstance(item, dict) else None
            if not isinstance(section, dict):
                continue
            region = _region(number, part)
            for name, values in _vcr_headers(item, part):
                if _credential(name):
                    kind = f"header {name.lower()}"
                    hits += [(region, Hit(kind, str(v), part, str(v))) for v in values]
                    section["headers"][name] = [REDACTED]
            item[part], found = redactor.scan_data(section, part)
            hits += [(region, hit) for hit in found]
    return data, hits


def _credential(header: str) -> bool:
    return is_credential_name(header, query=True) or header.lower() in IDENTITY_HEADERS


def _vcr_headers(item: Any, part: str) -> Iterator[tuple[str, list[Any]]]:
    section = item.get(part) if isinstance(item, dict) else None
    headers = section.get("headers") if isinstance(section, dict) else None
    if isinstance(headers, dict):
        for name, values in list(headers.items()):
            listed = values if isinstance(values, list) else [values]
            if str(name) and any(v not in (None, "", REDACTED) for v in listed):
                yield str(name), listed


def _dump_vcrpy(data: Any) -> str:
    return str(yaml.safe_dump(data, sort_keys=True, allow_unicode=True))


def _comment_findings(path: Path, text: str, redactor: Redactor) -> list[Finding]:
    """Secrets in YAML comment lines (a scrubbed file drops those lines, keeps the rest)."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            for span in redactor.rules.spans(line):
                found.append(
                    Finding(path, number, span.start + 1, span.kind, line[span.start : span.end])
                )
    return found


class _Locator:
    """Finds where in the file each hit sits: in the part it came from (meta, or
    an interaction's request or response), where its beginning is spelled."""

    _PARTS = re.compile(r"^(?:- request:|  response:)", re.M)

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        marks = [m.start() for m in self._PARTS.finditer(text)]
        self.regions = list(zip([0, *marks], [*marks, len(text)], strict=True))
        self.cursor = [start for start, _ in self.regions]

    def findings(self, hits: Iterable[tuple[int, Hit]]) -> list[Finding]:
        return [self._locate(region, hit) for region, hit in hits]

    def _locate(self, region: int, hit: Hit) -> Finding:
        if region >= len(self.regions):  # not the layout `dumps` writes: search it all
            region = 0
            self.regions[0] = (0, len(self.text))
        start, end = self.regions[region]
        offset = -1
        for needle in _spellings(hit.needle):
            offset = self.text.find(needle, self.cursor[region], end)
            if offset < 0:
                offset = self.text.find(needle, start, end)
            if offset >= 0:
                self.cursor[region] = offset + 1
                break
        if offset < 0:
            offset = start
        line = _line_of(self.starts, offset)
        kind = hit.kind if hit.pieces == 1 else f"{hit.kind}, {hit.pieces} events"
        return Finding(self.path, line, offset - self.starts[line - 1] + 1, kind, hit.secret)


def _region(number: int, part: str) -> int:
    """Meta is region 0; interaction `number` (from 0) has a request and a response region."""
    return 1 + 2 * number + (part == "response")


def _spellings(needle: str) -> list[str]:
    once = orjson.dumps(needle).decode()[1:-1]
    twice = orjson.dumps(once).decode()[1:-1]
    return list(dict.fromkeys((needle, once, twice, needle.replace("'", "''"))))


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
    for path, _ in _cassette_files(paths):
        yield path


def _cassette_files(paths: Iterable[str]) -> Iterator[tuple[Path, Path]]:
    """(file, the folder it must stay inside): a folder's files (links and FIFOs too,
    so that reading refuses them out loud), or a named file in its own folder."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                if found.suffix in (".yaml", ".yml") and (found.is_symlink() or not found.is_dir()):
                    yield found, path
        else:
            yield path, path.parent


def _check_patterns(patterns: Sequence[str], out: TextIO) -> bool:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            print(f"--pattern {pattern!r}: not a regular expression ({exc})", file=out)
            return False
    return True


def _read(path: Path, out: TextIO, root: Path) -> str | None:
    try:
        raw = read_file(path, root)
    except CassetteError as exc:
        print(escape.terminal(str(exc)), file=out)
        return None
    except OSError as exc:
        print(f"{path}: cannot read ({exc.strerror or exc})", file=out)
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        print(f"{path}: not a text cassette (byte {exc.start} is not UTF-8)", file=out)
        return None


def _audit(path: Path, patterns: Sequence[str], out: TextIO, root: Path) -> Audit | None:
    text = _read(path, out, root)
    if text is None:
        return None
    try:
        return audit(path, text, patterns)
    except (CassetteError, safe_yaml.YAMLError) as exc:
        message = str(exc)
        print(
            escape.terminal(message if message.startswith(str(path)) else f"{path}: {message}"),
            file=out,
        )
        return None


def verify_main(paths: list[str], patterns: list[str], *, out: TextIO | None = None) -> int:
    """Report secrets in cassettes: 0 clean, 1 found, 2 some file unreadable."""
    out = out or sys.stdout
    if not _check_patterns(patterns, out):
        return EXIT_ERROR
    status, files, found, dirty = EXIT_CLEAN, 0, 0, 0
    for path, root in _cassette_files(paths):
        result = _audit(path, patterns, out, root)
        if result is None:
            status = EXIT_ERROR
            continue
        files += 1
        for finding in result.findings:
            print(escape.terminal(str(finding)), file=out)
        if result.findings:
            found += len(result.findings)
            dirty += 1
            status = max(status, EXIT_FOUND)
    if found:
        print(f"harness verify: {found} possible secret(s) in {dirty} of {files} file(s)", file=out)
    elif status == EXIT_CLEAN:
        print(f"harness verify: {files} cassette file(s), no secrets found", file=out)
    return status


def scrub_main(paths: list[str], patterns: list[str], *, out: TextIO | None = None) -> int:
    """Remove what `verify` reports, in place: 0 done (scrubbed or clean), 2 error."""
    out = out or sys.stdout
    if not _check_patterns(patterns, out):
        return EXIT_ERROR
    status = EXIT_CLEAN
    for path, root in _cassette_files(paths):
        with locked(path):
            found = _audit(path, patterns, out, root)
            if found is None:
                status = EXIT_ERROR
                continue
            if not found.findings:
                print(f"{path}: clean", file=out)
                continue
            left = audit(path, found.scrubbed, patterns).findings
            if left:  # never write a file that would still fail verify
                print(
                    escape.terminal(f"{path}: cannot scrub {left[0].describe()}; edit it by hand"),
                    file=out,
                )
                status = EXIT_ERROR
                continue
            # A link inside the cassette folder stays a link: its target is scrubbed.
            write_atomic(path.resolve(), found.scrubbed)
        for finding in found.findings:
            print(escape.terminal(f"{finding.describe()}: removed"), file=out)
        where = f"{path} (a link; its target {path.resolve()})" if path.is_symlink() else path
        print(escape.terminal(f"{where}: scrubbed ({len(found.findings)} removed)"), file=out)
    return status
