"""Trace pages in headless Chromium: every committed cassette's page renders with no console
error and no network request and shows every message, tool call and run status of its
transcript; hostile cassette text stays text; a replay miss's page shows where it departed;
a 10,000-interaction page stays usable. Screenshots of the seed scenarios' pages are kept
under `artifacts/trace-screenshots/` (gitignored) for CI to upload."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from harness.cassette.model import Cassette
from harness.cassette.storage import read_cassette, write_cassette
from harness.show import Departure, trace_html
from harness.show.view import trace_data
from harness.transcript import transcript
from tests.show.browser import SCREENSHOTS, open_page
from tests.show.edits import with_text

ROOT = Path(__file__).resolve().parents[2]
CASSETTES = sorted((ROOT / "cassettes").rglob("*.yaml"))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _write(
    tmp_path: Path, cassette: Cassette, name: str, source: str | None = None, **kwargs: Any
) -> Path:
    page = tmp_path / f"{name}.html"
    page.write_text(trace_html(cassette, source or name, **kwargs), "utf-8")
    return page


@pytest.mark.parametrize("path", CASSETTES, ids=[p.relative_to(ROOT).as_posix() for p in CASSETTES])
def test_every_committed_cassette_renders_its_whole_conversation(
    browser: Any, tmp_path: Path, path: Path
) -> None:
    cassette = read_cassette(path)
    page_file = _write(tmp_path, cassette, path.stem)
    opened = open_page(browser, page_file)
    page = opened.page
    assert opened.problems == []
    assert opened.network == []
    conversation = _squash(page.inner_text("#conversation"))
    built = transcript(cassette)
    for message in built.messages:
        assert _squash(message.text) in conversation, message.id
    for run in built.runs:
        calls = [c for s in run.steps for c in s.tool_calls]
        calls += [c for action in run.required_actions for c in action]
        for call in calls:
            assert call.id in conversation
            name = call.data.get("name")
            if name:
                assert str(name) in conversation
        chips = page.eval_on_selector_all(
            f'#timeline [data-run="{run.id}"] .status', "chips => chips.map(c => c.textContent)"
        )
        shown = [chip.split(" \u00d7")[0] for chip in chips]
        assert _in_order([s.status for s in run.statuses], shown), (run.id, shown)
    rows = page.locator("#interactions details.ix")
    assert rows.count() == min(len(cassette.interactions), 200)
    if path.parent.name == "scenarios":  # the seed's scenarios: kept for review in CI
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{path.stem}.png"), full_page=True)


def _in_order(wanted: list[str], shown: list[str]) -> bool:
    """Whether `wanted` appears in `shown` in order (the timeline may show a status twice:
    once streamed, once polled)."""
    rest = iter(shown)
    return all(any(s == w for s in rest) for w in wanted)


EVIL = '</script><script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2">'


def test_hostile_text_in_a_cassette_renders_as_text(browser: Any, tmp_path: Path) -> None:
    cassette = read_cassette(ROOT / "cassettes" / "scenarios" / "math_tutor.yaml")
    question = transcript(cassette).messages[0].text
    hostile = with_text(cassette, question, EVIL)
    page_file = _write(tmp_path, hostile, "hostile", source=EVIL)
    html = page_file.read_text("utf-8")
    assert "<script>window.__pwned" not in html and "<img src" not in html
    opened = open_page(browser, page_file)
    page = opened.page
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img").count() == 0
    assert EVIL in page.inner_text("#conversation")
    assert EVIL in page.title()
    page.click("#i-3 > summary")  # the message's request, as recorded
    page.wait_for_selector("#i-3 .body")  # drawn by the toggle event, which comes after
    assert "</script><script>window.__pwned = 1</script>" in page.inner_text("#i-3")
    assert page.evaluate("window.__pwned") is None
    assert opened.problems == [] and opened.network == []


def test_a_departure_is_marked_where_the_replay_left_the_recording(
    browser: Any, tmp_path: Path
) -> None:
    cassette = read_cassette(ROOT / "cassettes" / "scenarios" / "math_tutor.yaml")
    recorded = cassette.interactions[3].request
    asked = dataclasses.replace(recorded, body={"assistant_id": "asst_other"})
    departure = Departure(asked, "No recorded response for POST /threads/…/runs", (0, 1, 2))
    opened = open_page(browser, _write(tmp_path, cassette, "departed", departure=departure))
    page = opened.page
    assert "left the recording after interaction #3" in page.inner_text("#departure-banner")
    ids = page.eval_on_selector_all("#interactions details.ix", "rows => rows.map(r => r.id)")
    assert ids[:5] == ["i-1", "i-2", "i-3", "departure", "i-4"]
    assert "asst_other" in page.inner_text("#departure")
    assert "(not replayed)" in page.inner_text("#i-4 > summary")
    assert "(not replayed)" not in page.inner_text("#i-3 > summary")
    assert opened.problems == [] and opened.network == []


def test_a_ten_thousand_interaction_page_stays_usable(browser: Any, tmp_path: Path) -> None:
    seed = read_cassette(ROOT / "cassettes" / "scenarios" / "function_quiz.yaml")
    many = (seed.interactions * (10_000 // len(seed.interactions) + 1))[:10_000]
    page_file = _write(tmp_path, Cassette(meta=seed.meta, interactions=many), "big")
    opened = open_page(browser, page_file)
    page = opened.page
    rows = page.locator("#interactions details.ix")
    assert rows.count() == 200  # drawn a page at a time
    assert page.locator("#interactions .body").count() == 0  # bodies drawn when opened
    page.select_option("#ix-op", "submit_tool_outputs_to_run")
    submits = sum(1 for i in many if i.request.path.endswith("/submit_tool_outputs"))
    assert f"{submits} of 10000" in page.inner_text("#interactions .filters")
    page.evaluate("location.hash = '#i-9000'")
    page.wait_for_selector("#i-9000[open]")
    assert page.locator("#i-9000 .body").count() == 1
    assert opened.problems == [] and opened.network == []


def test_the_page_shows_what_recorded_the_cassette(browser: Any, tmp_path: Path) -> None:
    cassette = read_cassette(ROOT / "cassettes" / "scenarios" / "function_quiz.yaml")
    data = trace_data(cassette, "quiz")
    assert data["meta"]["brain"] == "rules"
    opened = open_page(browser, _write(tmp_path, cassette, "quiz"))
    header = opened.page.inner_text("header")
    assert "backend: emulator" in header and "brain: rules" in header


def test_a_diff_page_sets_two_conversations_side_by_side(browser: Any, tmp_path: Path) -> None:
    from harness.diff import diff_paths
    from harness.show.diffview import diff_html

    old_file = ROOT / "cassettes" / "scenarios" / "math_tutor.yaml"
    cassette = read_cassette(old_file)
    answer = transcript(cassette).messages[-1].text
    new_file = tmp_path / "math_tutor.yaml"
    write_cassette(new_file, with_text(cassette, answer, "A different answer </script>"))
    page_file = tmp_path / "diff.html"
    page_file.write_text(diff_html(diff_paths(old_file, new_file)), "utf-8")
    opened = open_page(browser, page_file)
    page = opened.page
    assert opened.problems == [] and opened.network == []
    old_cell = page.locator(".diff-grid .cell.changed").nth(0)
    new_cell = page.locator(".diff-grid .cell.changed").nth(1)
    assert _squash(answer) in _squash(old_cell.inner_text())
    assert "A different answer </script>" in new_cell.inner_text()
    assert "changed" in page.inner_text(".changes")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "diff.png"), full_page=True)
