"""Text from a cassette made inert for where it is shown: a terminal, JSON printed to
one, Markdown (a pull-request comment) or HTML (the trace viewer).

A cassette is input anyone with a pull request can write; what it holds must never
drive a terminal (ESC sequences, OSC 52 clipboard writes), hide or reorder text
(bidi controls), or become markup in a comment (`<!--`, `<img>`, links, mentions).
"""

from __future__ import annotations

import html as _html
import re

__all__ = ["code_block", "code_span", "html", "json_text", "terminal"]

# C0 and C1 controls, DEL, and the Unicode controls that reorder or hide text
# (bidi embeddings/overrides/isolates, zero-width marks, line/paragraph separators).
_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b"}
_BACKTICKS = re.compile(r"`+")
_JSON_SPACE = frozenset("\n\r\t")  # JSON escapes these in strings: raw, they are layout


def _visible(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal(text: str) -> str:
    """`text` with every control character shown as a visible escape (`\\x1b`, `\\n`)."""
    return _CONTROL.sub(lambda m: _visible(m.group()), text)


def json_text(text: str) -> str:
    """JSON text for a terminal: controls JSON leaves raw (DEL, C1, bidi) as `\\uXXXX`.

    Only valid on JSON (they can only stand inside its strings, where `\\uXXXX` is
    the same character); its own layout (newlines, indents) is kept."""
    return _CONTROL.sub(
        lambda m: m.group() if m.group() in _JSON_SPACE else f"\\u{ord(m.group()):04x}", text
    )


def _fence(text: str, least: int) -> str:
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    return "`" * max(least, longest + 1)


def code_span(text: str) -> str:
    """`text` as one Markdown code span, on one line: nothing in it is markup.

    The fence is longer than any run of backticks inside; `|` is escaped so a table
    cell holds it (GitHub reads `\\|` inside a code span in a table as `|`)."""
    text = terminal(text).replace("|", "\\|")
    fence = _fence(text, 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(lines: list[str], info: str = "", indent: str = "") -> list[str]:
    """Lines as one fenced Markdown block that no line inside can close."""
    shown = [terminal(line) for line in lines]
    fence = _fence("\n".join(shown), 3)
    return [f"{indent}{fence}{info}", *(f"{indent}{line}" for line in shown), f"{indent}{fence}"]


def html(text: str) -> str:
    """`text` for HTML element content or a quoted attribute, controls made visible."""
    return _html.escape(terminal(text), quote=True)
