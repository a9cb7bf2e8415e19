"""`harness parity OLD NEW`: the seed Math Tutor's Assistants recordings against its Responses
port, recorded from a scripted loopback server through the plugin's live backend."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.cli import main

MUTATIONS = {
    # folder of the broken port, cassette, the one difference `harness parity` must name
    "dropped_instructions": (
        "follow_up",
        "instructions",
        'turn 2: instructions differ: "You are a personal math tutor. Answer questions '
        'briefly, in a sentence or less." before, none now',
    ),
    "renamed_argument": (
        "function_quiz",
        "arguments",
        "turn 1: the assistant called display_quiz with title before, and without now; "
        "with name now, and without before",
    ),
    "missing_output": (
        "function_quiz",
        "output",
        """turn 1: display_quiz returned ["I don't know.", "a"] before, and nothing now """
        "(so the turn's answer and how the turn ended differ too)",
    ),
    "lost_citation": (
        "file_search",
        "citations",
        "turn 1: the answer cited linear_equations.md before, and nothing now",
    ),
}


def test_the_port_holds_the_seed_conversations(
    ported: Path, old_side: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["parity", str(old_side), str(ported / "ported")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "4 recording pairs: the same conversation"
    for name in ("file_search", "follow_up", "function_quiz", "math_tutor"):
        assert f"{name}.yaml: same conversation" in out


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_broken_port_is_named_by_exactly_that_difference(
    mutation: str, ported: Path, old_side: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, aspect, line = MUTATIONS[mutation]
    old, new = old_side / f"{name}.yaml", ported / mutation / f"{name}.yaml"
    assert main(["parity", str(old), str(new)]) == 1
    shown = [s.strip() for s in capsys.readouterr().out.splitlines() if s.startswith("  ")]
    assert shown == [line]
    assert main(["parity", str(old), str(new), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [d["aspect"] for d in report["pairs"][0]["differences"]] == [aspect]
    # The review page: both conversations side by side, the difference named on it.
    page = new.parent / "parity.html"
    assert main(["parity", str(old), str(new), "--format", "html", "-o", str(page)]) == 1
    raw = page.read_text().split('<script type="application/json" id="data">', 1)[1]
    embedded = json.loads(raw.split("</script>", 1)[0])
    assert [c["line"] for f in embedded["files"] for c in f["changes"]] == [line]


def test_folders_pair_recordings_by_test_name(
    ported: Path, old_side: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = tmp_path / "new"
    shutil.copytree(ported / "ported", new)
    shutil.copy(ported / "lost_citation" / "file_search.yaml", new / "file_search.yaml")
    (new / "math_tutor.yaml").unlink()
    assert main(["parity", str(old_side), str(new), "--format", "markdown"]) == 1
    out = capsys.readouterr().out
    assert "### `file_search.yaml`: different" in out
    assert "- turn 1: the answer cited `linear_equations.md` before, and nothing now" in out
    assert "### `math_tutor.yaml`: different" in out
    assert "- only the old side has a recording of this test" in out
    assert "### `follow_up.yaml`: same conversation" in out
    assert "2 of 4 recording pairs: different conversations" in out


def test_accepted_differences_let_the_rest_gate(
    old_side: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The streamed quiz twin answers in other words and offers fewer tools.
    twin = old_side.parent / "twin.yaml"
    shutil.copy(Path(__file__).parents[2] / "cassettes/scenarios/streaming_quiz.yaml", twin)
    quiz = str(old_side / "function_quiz.yaml")
    assert main(["parity", quiz, str(twin), "--accept", "wording"]) == 1
    shown = [s.strip() for s in capsys.readouterr().out.splitlines() if s.startswith("  ")]
    assert shown == [
        'turn 1: tools differ: "code_interpreter, display_quiz" before, display_quiz now'
    ]


def test_errors_exit_2_with_one_line(
    old_side: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["parity", str(old_side), str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["parity", str(old_side), str(old_side / "follow_up.yaml")]) == 2
    err = capsys.readouterr().err
    assert "not one of each" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: 1\ninteractions: [\n")
    assert main(["parity", str(old_side / "follow_up.yaml"), str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("harness parity:") and "broken.yaml" in err and err.count("\n") == 1
