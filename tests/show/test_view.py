"""The trace page's data: invariant violations flagged where they struck, Responses API
cassettes listed, timed and read as a conversation, errors placed on their run."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from harness.cassette.model import Cassette, Interaction, Request, Response
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


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (
            Response(400, body={"detail": "run run_a cannot be cancelled"}),
            "HTTP 400: run run_a cannot be cancelled",
        ),
        (Response(404, text="no such run"), "HTTP 404: no such run"),
        (
            Response(502, text="<html><body><h1>Bad Gateway</h1></body></html>"),
            "HTTP 502: Bad Gateway",
        ),
    ],
    ids=["detail", "plain-text", "html"],
)
def test_an_error_answer_of_any_shape_is_shown_with_its_message(
    response: Response, message: str
) -> None:
    run = {"id": "run_a", "object": "thread.run", "thread_id": "thread_a", "status": "completed"}
    cassette = Cassette(
        interactions=[
            Interaction(Request("GET", "/threads/thread_a/runs/run_a"), Response(200, body=run)),
            Interaction(Request("POST", "/threads/thread_a/runs/run_a/cancel"), response),
        ]
    )
    data = trace_data(cassette, "deviating")
    errors = [
        e["message"] for line in data["timelines"] for e in line["events"] if e["kind"] == "error"
    ]
    assert errors == [message]


PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def _with_image() -> Cassette:
    """code_interpreter with an image among the call's outputs, its bytes downloaded after."""
    cassette = read_cassette(ROOT / "cassettes" / "scenarios" / "code_interpreter.yaml")
    steps = cassette.interactions[6]
    body = json.loads(json.dumps(steps.response.body))
    call = body["data"][0]["step_details"]["tool_calls"][0]["code_interpreter"]
    call["outputs"].append({"type": "image", "image": {"file_id": "file-plot1"}})
    download = Interaction(
        Request("GET", "/files/file-plot1/content"),
        Response(200, headers={"content-type": "image/png"}, base64=PNG),
    )
    items = list(cassette.interactions)
    items[6] = dataclasses.replace(steps, response=dataclasses.replace(steps.response, body=body))
    return Cassette(meta=cassette.meta, interactions=[*items, download])


def test_a_code_interpreter_image_whose_bytes_were_downloaded_is_shown(
    browser: Any, tmp_path: Path
) -> None:
    page_file = tmp_path / "plot.html"
    page_file.write_text(trace_html(_with_image(), "plot"), "utf-8")
    opened = open_page(browser, page_file)
    image = opened.page.locator("#conversation .tool img")
    assert image.count() == 1
    assert image.get_attribute("src") == f"data:image/png;base64,{PNG}"
    assert (
        opened.page.evaluate("document.querySelector('#conversation .tool img').naturalWidth") == 1
    )
    assert opened.problems == [] and opened.network == []


def test_an_image_whose_bytes_are_not_in_the_cassette_is_named() -> None:
    cassette = _with_image()
    without = Cassette(meta=cassette.meta, interactions=cassette.interactions[:-1])
    data = trace_data(without, "plot")
    (call,) = [i for i in data["conversation"]["items"] if i["type"] == "tool_call"]
    assert call["outputs"][-1] == {"image": "file_1"}
    assert "image" not in data["conversation"]["files"].get("file_1", {})
