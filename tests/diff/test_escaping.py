"""Text from a cassette is escaped for where the harness shows it.

The attack: a pull request records (or hand-edits) a message whose text holds
terminal escapes (OSC 52 writes the reviewer's clipboard, CSI clears the screen,
a C1 CSI, bidi overrides) and Markdown/HTML (`<!--` hides the rest of a comment,
`<img>`, links, `@mentions`, a fence that closes the diff block). `harness
inspect`, text/JSON `diff` and `transcript` print none of it raw; `diff --format
markdown` keeps all of it inside code spans and fenced blocks.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from harness import escape
from harness.cli import main

HOSTILE = (
    "``` </details> <!-- hidden --> <img src=x onerror=alert(1)> [click](https://evil.test) "
    "@octocat `tick` | cell \x1b]52;c;ZXZpbA==\x07 \x1b[2J \x9b31m \u202egnp.exe \x00"
)
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\x00")

APP = """
import pytest


@pytest.mark.assistants_cassette
def test_chat(openai_client):
    assistant = openai_client.beta.assistants.create(model="gpt-4o")
    thread = openai_client.beta.threads.create()
    openai_client.beta.threads.messages.create(thread.id, role="user", content={text!r})
    openai_client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    openai_client.beta.threads.messages.list(thread.id)
"""


def _record(pytester: pytest.Pytester, text: str) -> Path:
    pytester.makepyfile(test_app=APP.format(text=text))
    pytester.runpytest("-p", "no:cacheprovider", "--record").assert_outcomes(passed=1)
    return pytester.path / "cassettes"


@pytest.fixture
def cassettes(pytester: pytest.Pytester) -> tuple[Path, Path]:
    old = pytester.path / "old"
    shutil.copytree(_record(pytester, "hello"), old)
    return old, _record(pytester, HOSTILE)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    main(list(args))
    out, err = capsys.readouterr()
    return out + err


def test_terminal_output_shows_control_characters_as_escapes(
    cassettes: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = cassettes
    (path,) = new.rglob("*.yaml")
    for args in (
        ("inspect", str(path), "--color", "never"),
        ("inspect", str(path), "--color", "always"),
        ("diff", str(old), str(new)),
        ("diff", str(old), str(new), "--format", "json"),
        ("transcript", str(path)),
    ):
        out = _run(capsys, *args)
        shown = out.replace("\x1b[", "") if "always" in args else out  # rich's own colours
        assert [c for c in RAW if c in shown] == [], args
        assert "]52;c;ZXZpbA==" in out, args
    report = json.loads(_run(capsys, "diff", str(old), str(new), "--format", "json"))
    # The escapes are JSON's own: the report still holds the text as it was.
    assert json.dumps(HOSTILE)[1:-1] in json.dumps(report)


def test_markdown_keeps_cassette_text_inside_code(
    cassettes: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = cassettes
    out = _run(capsys, "diff", str(old), str(new), "--format", "markdown")
    assert "@octocat" in out
    html = MarkdownIt("commonmark").enable("table").render(out)
    assert "<img" not in html and "<!--" not in html and "<a " not in html
    assert html.count("<details>") == html.count("</details>")  # none closed from inside
    # Every mention is inside a code element (GitHub links mentions only outside code).
    outside = _without_code(html)
    assert "@octocat" not in outside
    assert [c for c in RAW if c in out] == []


def _without_code(html: str) -> str:
    import re

    return re.sub(r"<code[^>]*>.*?</code>", "", html, flags=re.S)


@pytest.mark.parametrize(
    "text", ["`", "``a``", "a ` b", " lead", "trail`", "", "x | y", "```diff\nclose"]
)
def test_a_code_span_holds_any_text(text: str) -> None:
    html = MarkdownIt("commonmark").render(f"- {escape.code_span(text)}")
    assert html.count("<code>") == 1
    assert "\n" not in escape.code_span(text)


def test_a_code_block_cannot_be_closed_from_inside() -> None:
    lines = ["```", "````", "- gone"]
    html = MarkdownIt("commonmark").render("\n".join(escape.code_block(lines, "diff")) + "\nafter")
    assert html.count("<pre>") == 1 and "<li>" not in html and "<p>after</p>" in html


def test_html_escape_leaves_no_markup() -> None:
    assert escape.html('<img src=x onerror="a">\x1b') == (
        "&lt;img src=x onerror=&quot;a&quot;&gt;\\x1b"
    )
