"""A `ParityReport` as text (a terminal), Markdown (a pull-request comment) or JSON.

Values come from recordings, so they are escaped for where they land: control and format
characters (terminal escapes, bidi overrides) are written as `\\uXXXX` everywhere, and a value
inside a Markdown code span gets a fence longer than any run of backticks it holds.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable

from harness.parity.compare import Difference
from harness.parity.report import PairResult, ParityReport
from harness.parity.wording import Part

FORMATS = ("text", "markdown", "json")


def render(report: ParityReport, fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(report.to_data(), indent=2, ensure_ascii=False)
    if fmt == "markdown":
        return "\n".join(_markdown(report))
    return "\n".join(_text(report))


def headline(report: ParityReport) -> str:
    total = len(report.pairs)
    differ = sum(1 for p in report.pairs if not p.same)
    noun = "recording pair" if total == 1 else "recording pairs"
    if not differ:
        return f"{total} {noun}: the same conversation"
    return f"{differ} of {total} {noun}: different conversations"


def visible(text: str) -> str:
    """`text` with every control, format or line-separator character written as an escape."""
    return "".join(
        ch
        if unicodedata.category(ch)[0] not in "CZ" or unicodedata.category(ch) == "Zs"
        else _ESCAPES.get(ch, f"\\u{ord(ch):04x}")
        for ch in text
    )


_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def code_span(text: str) -> str:
    """`text` as a Markdown code span that shows it verbatim."""
    text = visible(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def sentence(difference: Difference, markdown: bool = False) -> str:
    """The difference as one line; values plain (text) or as code spans (Markdown)."""
    body = "".join(_part(p, markdown) for p in difference.parts)
    return f"{difference.where}: {body}" if difference.where else body


def _part(part: Part, markdown: bool) -> str:
    kind, text = part
    if kind == "code":
        if markdown:
            return code_span(text)
        quoted = " " in text and not text.startswith(("{", "["))
        return visible(json.dumps(text, ensure_ascii=False) if quoted else text)
    return visible(text)


def _pair_lines(pair: PairResult, markdown: bool) -> Iterable[str]:
    bullet = "- " if markdown else "  "
    if pair.missing == "old":
        yield f"{bullet}only the new side has a recording of this test"
    elif pair.missing == "new":
        yield f"{bullet}only the old side has a recording of this test"
    for difference in pair.differences:
        yield bullet + sentence(difference, markdown=markdown)
    if pair.unknown:
        shown = ", ".join(visible(u) for u in pair.unknown)
        yield f"{bullet}(not read, shown as such: {shown})"


def _text(report: ParityReport) -> Iterable[str]:
    yield f"--- {visible(report.old)}"
    yield f"+++ {visible(report.new)}"
    if report.accept:
        yield f"accepted differences: {', '.join(report.accept)}"
    for pair in report.pairs:
        yield f"{visible(pair.name)}: {'same conversation' if pair.same else 'different'}"
        yield from _pair_lines(pair, markdown=False)
    yield headline(report)


def _markdown(report: ParityReport) -> Iterable[str]:
    yield "## Migration parity"
    yield ""
    yield f"{code_span(report.old)} → {code_span(report.new)}: {headline(report)}"
    if report.accept:
        yield ""
        yield f"Accepted differences: {', '.join(report.accept)}"
    for pair in report.pairs:
        yield ""
        status = "same conversation" if pair.same else "different"
        yield f"### {code_span(pair.name)}: {status}"
        lines = list(_pair_lines(pair, markdown=True))
        if lines:
            yield ""
            yield from lines
