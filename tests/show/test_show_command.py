"""`harness show CASSETTE... [-o FILE.html]` and `harness diff --format html`: the pages they
write, what a folder gives, and one line for what cannot be read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.cassette.storage import read_cassette, write_cassette
from harness.cli import main
from harness.transcript import transcript
from tests.show.edits import with_text

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "cassettes" / "scenarios"


def _data(page: Path) -> dict[str, object]:
    html = page.read_text("utf-8")
    head, rest = html.split('<script type="application/json" id="data">', 1)
    raw, tail = rest.split("</script>", 1)
    for markup in (head, tail):  # the template itself fetches nothing
        assert "http://" not in markup and "https://" not in markup and " src=" not in markup
    data: dict[str, object] = json.loads(raw)
    return data


def test_one_cassette_gives_one_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cassette = SCENARIOS / "function_quiz.yaml"
    out = tmp_path / "quiz.html"
    assert main(["show", str(cassette), "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    data = _data(out)
    recorded = read_cassette(cassette)
    assert data["kind"] == "trace" and len(data["interactions"]) == len(recorded.interactions)
    assert data["meta"] == recorded.meta
    items = data["conversation"]["items"]
    names = {i.get("name") for i in items if i["type"] == "tool_call"}
    assert "display_quiz" in names
    texts = [i["text"] for i in items if i["type"] == "message"]
    assert texts == [m.text for m in transcript(recorded).messages]


def test_a_folder_gives_an_index_with_a_page_per_cassette(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "site" / "index.html"
    assert main(["show", str(ROOT / "cassettes"), "-o", str(index)]) == 0
    assert capsys.readouterr().out.strip() == str(index)
    data = _data(index)
    entries = data["entries"]
    cassettes = sorted((ROOT / "cassettes").rglob("*.yaml"))
    assert [e["name"] for e in entries] == [
        p.relative_to(ROOT / "cassettes").as_posix() for p in cassettes
    ]
    for entry in entries:
        page = index.parent / entry["href"]
        assert _data(page)["kind"] == "trace"
        assert entry["interactions"] > 0


def test_an_unreadable_cassette_is_one_line_and_the_others_are_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "cassettes"
    folder.mkdir()
    shutil.copy(SCENARIOS / "math_tutor.yaml", folder / "good.yaml")
    (folder / "broken.yaml").write_text("format: 1\ninteractions: [oops\n", "utf-8")
    index = tmp_path / "index.html"
    assert main(["show", str(folder), "-o", str(index)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("harness show: ") and "broken.yaml" in err[0]
    entries = {e["name"]: e for e in _data(index)["entries"]}
    assert "broken.yaml" in entries["broken.yaml"]["problem"]
    assert (index.parent / entries["good.yaml"]["href"]).is_file()


def test_a_missing_path_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"harness show: {tmp_path / 'nope.yaml'}: no such cassette or folder"


def test_a_single_page_defaults_to_the_cassettes_name_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["show", str(SCENARIOS / "math_tutor.yaml")]) == 0
    assert (tmp_path / "math_tutor.html").is_file()
    capsys.readouterr()


def test_diff_format_html_sets_the_changed_conversations_side_by_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = SCENARIOS / "math_tutor.yaml"
    cassette = read_cassette(old)
    answer = transcript(cassette).messages[-1].text
    new = tmp_path / "math_tutor.yaml"
    write_cassette(new, with_text(cassette, answer, "Another answer"))
    out = tmp_path / "diff.html"
    assert main(["diff", str(old), str(new), "--format", "html", "-o", str(out)]) == 1
    data = _data(out)
    assert data["kind"] == "diff"
    (file,) = data["files"]
    assert file["status"] == "changed"
    changed = [r for r in file["rows"] if r["change"] != "same"]
    assert [(r["old"]["text"], r["new"]["text"]) for r in changed] == [(answer, "Another answer")]
    assert any(c["section"] == "messages" for c in file["changes"])
    # equivalent cassettes: exit 0, and the page says so
    assert main(["diff", str(old), str(old), "--format", "html", "-o", str(out)]) == 0
    assert _data(out)["headline"] == "equivalent"
    capsys.readouterr()
