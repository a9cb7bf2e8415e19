"""The trace page's data: invariant violations flagged where they struck, Responses API
cassettes listed, timed and read as a conversation, errors placed on their run."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from harness.cassette.model import Cassette
from harness.cassette.storage import read_cassette
from harness.show import trace_html
from harness.show.view import trace_data
from tests.show.browser import open_page
from tests.show.responses_cassette import ANSWER, ARGUMENTS, OUTPUT, QUESTION, responses_cassette

ROOT = Path(__file__).resolve().parents[2]


def _backwards() -> Cassette:
    """math_tutor with its two polls swapped: completed, then in_progress again."""
    cassette = read_cassette(ROOT / "cassettes" / "scenarios" / "math_tutor.yaml")
    items = list(cassette.interactions)
    fifth, sixth = items[4], items[5]
    items[4] = dataclasses.replace(fifth, response=sixth.response)
    items[5] = dataclasses.replace(sixth, response=fifth.response)
    return Cassette(meta=cassette.meta, interactions=items)


def test_an_invariant_violation_is_flagged_where_it_struck(browser: Any, tmp_path: Path) -> None:
    data = trace_data(_backwards(), "backwards")
    assert [(v["where"], v["rule"]) for v in data["violations"]] == [(6, "transition")]
    page_file = tmp_path / "backwards.html"
    page_file.write_text(trace_html(_backwards(), "backwards"), "utf-8")
    opened = open_page(browser, page_file)
    page = opened.page
    assert "1 invariant violation" in page.inner_text("#problems")
    flags = page.locator('#timeline [data-run="run_1"] .flag')
    assert flags.count() == 1 and flags.get_attribute("href") == "#i-6"
    assert "flagged" in (page.get_attribute("#i-6", "class") or "")
    assert opened.problems == [] and opened.network == []


def test_a_responses_cassette_is_listed_timed_and_read(browser: Any, tmp_path: Path) -> None:
    data = trace_data(responses_cassette(), "responses")
    assert [(i["op"], i["api"]) for i in data["interactions"]] == [
        ("create_response", "responses"),
        ("create_response", "responses"),
        ("get_response", "responses"),
    ]
    lines = {line["real_id"]: line for line in data["timelines"]}
    assert [e["status"] for e in lines["resp_1"]["events"]] == ["completed"]
    kinds = [(e["kind"], e.get("status")) for e in lines["resp_2"]["events"]]
    assert kinds == [
        ("stream", None),
        ("status", "queued"),
        ("status", "in_progress"),
        ("status", "completed"),
        ("status", "completed"),
    ]
    assert lines["resp_2"]["polls"] == {"completed": 2}
    items = data["conversation"]["items"]
    said = [(i["role"], i["text"]) for i in items if i["type"] == "message"]
    assert said == [("user", QUESTION), ("assistant", ANSWER)]
    calls = [i for i in items if i["type"] == "tool_call"]
    assert calls[0]["name"] == "get_weather" and '"city": "Paris"' in calls[0]["arguments"]
    assert calls[1]["output"] == OUTPUT
    page_file = tmp_path / "responses.html"
    page_file.write_text(trace_html(responses_cassette(), "responses"), "utf-8")
    opened = open_page(browser, page_file)
    conversation = opened.page.inner_text("#conversation")
    for text in (QUESTION, ANSWER, "get_weather", OUTPUT):
        assert text in conversation
    assert ARGUMENTS.replace('"', "") not in conversation  # pretty-printed, not raw
    assert opened.page.locator('#timeline [data-run="resp_2"] .tick').count() == 5
    assert opened.problems == [] and opened.network == []


def test_a_failed_run_and_an_error_answer_are_placed_where_they_struck() -> None:
    cassette = read_cassette(ROOT / "cassettes" / "scenarios" / "failure_paths.yaml")
    data = trace_data(cassette, "failure_paths")
    errors = [
        (line["id"], e["where"], e["message"])
        for line in data["timelines"]
        for e in line["events"]
        if e["kind"] == "error"
    ]
    assert errors == [("run_1", 6, "server_error: Sorry, something went wrong.")]
    assert [(e["where"], e["status"]) for e in data["errors"]] == [(20, 404)]
