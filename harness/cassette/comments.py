"""Carrying a cassette's comments over to a rewritten text of it.

Rewriting a cassette (`harness scrub` removing a secret) dumps it anew, which
would drop every comment a reviewer wrote. `carry_comments` puts each block of
comment (and blank) lines of the old text back before the line it stood before,
found by aligning the two texts' other lines, and leaves out the lines it is told
to drop (a comment that holds a secret).
"""

from __future__ import annotations

import difflib
from collections.abc import Container, Sequence


def carry_comments(old: str, new: str, drop: Container[int] = ()) -> str:
    """`new` with the comment and blank lines of `old` back where they stood, except the
    lines numbered (1-based) in `drop`. Comments `new` has itself (a header) stay once."""
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    old_content, old_blocks = _split(old_lines, drop)
    if not any(old_blocks.values()):
        return new
    new_content, new_blocks = _split(new_lines, ())
    opcodes = difflib.SequenceMatcher(None, old_content, new_content, autojunk=False).get_opcodes()
    carried: dict[int, list[str]] = {}
    for i, block in old_blocks.items():
        carried.setdefault(_mapped(opcodes, i, len(new_content)), []).extend(block)
    placed: dict[int, list[str]] = {}
    for j in {*carried, *new_blocks}:
        old_block = carried.get(j, [])
        # the new text's own comments (its header) once, in the old text's order when it had them
        placed[j] = [line for line in new_blocks.get(j, []) if line not in old_block] + old_block
    out: list[str] = []
    for j in range(len(new_content) + 1):
        out += placed.get(j, [])
        if j < len(new_content):
            out.append(new_content[j])
    text = "".join(out)
    return text if text.endswith("\n") or not text else text + "\n"


def _split(lines: list[str], drop: Container[int]) -> tuple[list[str], dict[int, list[str]]]:
    """(the content lines, the comment/blank lines standing before content line k)."""
    content: list[str] = []
    blocks: dict[int, list[str]] = {}
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped == "" or stripped.startswith("#"):
            if number not in drop:
                blocks.setdefault(len(content), []).append(_ended(line))
        else:
            content.append(_ended(line))
    return content, blocks


def _ended(line: str) -> str:
    return line if line.endswith("\n") else line + "\n"


def _mapped(opcodes: Sequence[tuple[str, int, int, int, int]], i: int, end: int) -> int:
    """Where old content line `i` stands in the new text (the line that replaced it, or the
    next one)."""
    for tag, i1, i2, j1, j2 in opcodes:
        if i1 <= i < i2 or i == i1 == i2:
            if tag == "equal":
                return j1 + (i - i1)
            return j1 + min(i - i1, max(j2 - j1 - 1, 0)) if tag == "replace" else j1
    return end
