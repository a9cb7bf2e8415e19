"""file_search as the real API sent it: the tool's echo, the step delta and results, scores on
the real 0..1 scale, and citation markers that arrive whole, read from raw responses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.emulator.backend.store import Chunk
from harness.emulator.tools.file_search import calibrate, rank, terms
from tests.emulator.helpers import parse_sse

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FOODS = (
    b"My favorite food is pizza with mushrooms. On Sundays I eat pancakes with maple syrup.\n"
    b"I do not like broccoli, and I never drink coffee after noon.\n"
)
QUESTION = "What is my favorite food?"
RANKING = {"ranker": "default_2024_08_21", "score_threshold": 0.5, "hybrid_search": None}


def raw_json(raw: Any) -> Any:
    return json.loads(raw.text)


@pytest.fixture
def foods(client: Any) -> Any:
    """An assistant searching favorite_foods.txt with `score_threshold: 0.5`, as in the issue."""
    upload = client.files.create(file=("favorite_foods.txt", FOODS), purpose="assistants")
    store = client.vector_stores.create(name="foods", file_ids=[upload.id])
    raw = client.beta.assistants.with_raw_response.create(
        model="gpt-4o",
        tools=[
            {"type": "file_search", "file_search": {"ranking_options": {"score_threshold": 0.5}}}
        ],
        tool_resources={"file_search": {"vector_store_ids": [store.id]}},
    )
    return raw_json(raw), upload, store


def streamed_run(client: Any, thread_id: str, assistant_id: str) -> list[tuple[str, Any]]:
    with client.beta.threads.runs.with_streaming_response.create(
        thread_id=thread_id, assistant_id=assistant_id, stream=True
    ) as response:
        body = response.read()
    return [(name, data if name == "done" else json.loads(data)) for name, data in parse_sse(body)]


def ask(client: Any, assistant_id: str, thread_id: str, question: str) -> list[tuple[str, Any]]:
    client.beta.threads.messages.create(thread_id=thread_id, role="user", content=question)
    return streamed_run(client, thread_id, assistant_id)


def text_deltas(events: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    return [
        part["text"]
        for name, data in events
        if name == "thread.message.delta"
        for part in data["delta"]["content"]
    ]


def test_the_tool_echo_and_the_step_delta(client: Any, foods: Any) -> None:
    assistant, _upload, _store = foods
    assert assistant["tools"] == [
        {"type": "file_search", "file_search": {"ranking_options": RANKING}}
    ]
    thread = client.beta.threads.create()
    events = ask(client, assistant["id"], thread.id, QUESTION)
    step_deltas = [
        call
        for name, data in events
        if name == "thread.run.step.delta"
        for call in data["delta"]["step_details"]["tool_calls"]
    ]
    assert len(step_deltas) == 1
    assert step_deltas[0]["file_search"] == {"ranking_options": RANKING, "results": []}
    completed = [
        data
        for name, data in events
        if name == "thread.run.step.completed" and data["type"] == "tool_calls"
    ]
    (call,) = completed[0]["step_details"]["tool_calls"]
    assert call["file_search"]["ranking_options"] == RANKING
    assert [r["attributes"] for r in call["file_search"]["results"]] == [{}]
    assert "content" not in call["file_search"]["results"][0]  # only with include[]


def test_a_relevant_passage_scores_like_the_real_api_and_is_cited(client: Any, foods: Any) -> None:
    assistant, upload, store = foods
    thread = client.beta.threads.create()
    events = ask(client, assistant["id"], thread.id, QUESTION)
    run_id = events[0][1]["id"]
    steps = raw_json(
        client.beta.threads.runs.steps.with_raw_response.list(
            run_id,
            thread_id=thread.id,
            order="asc",
            include=["step_details.tool_calls[*].file_search.results[*].content"],
        )
    )["data"]
    (result,) = steps[0]["step_details"]["tool_calls"][0]["file_search"]["results"]
    assert 0.68 <= result["score"] <= 0.76, result["score"]
    assert result["file_name"] == "favorite_foods.txt" and result["attributes"] == {}
    assert "pizza" in result["content"][0]["text"]

    (reply,) = raw_json(
        client.beta.threads.messages.with_raw_response.list(thread_id=thread.id, run_id=run_id)
    )["data"]
    text = reply["content"][0]["text"]
    (note,) = text["annotations"]
    assert note["text"] == "【4:0†favorite_foods.txt】"
    assert note["file_citation"] == {"file_id": upload.id}
    assert text["value"][note["start_index"] : note["end_index"]] == note["text"]

    searched = raw_json(client.vector_stores.with_raw_response.search(store.id, query=QUESTION))[
        "data"
    ]
    assert searched[0]["score"] == result["score"]


def test_a_marker_arrives_whole_in_one_delta(client: Any, foods: Any) -> None:
    assistant, upload, _store = foods
    thread = client.beta.threads.create()
    deltas = text_deltas(ask(client, assistant["id"], thread.id, QUESTION))
    with_notes = [d for d in deltas if d.get("annotations")]
    (delta,) = with_notes
    (note,) = delta["annotations"]
    assert delta["value"] == note["text"] == "【4:0†favorite_foods.txt】"
    assert note["file_citation"] == {"file_id": upload.id, "quote": ""}
    assert note["index"] == 0 and note["type"] == "file_citation"
    text = "".join(d["value"] for d in deltas)
    assert text[note["start_index"] : note["end_index"]] == note["text"]
    assert all("【" not in d["value"] for d in deltas if d is not delta)
    assert len(deltas) > 2, "the rest of the text still comes in small pieces"


def test_markers_number_the_search_in_the_conversation(client: Any, foods: Any) -> None:
    """【{message}:{result}†{file}】: message counts the instructions and tools (2), the thread's
    messages, then each earlier tool call and output of the run, then the call itself."""
    assistant, _upload, _store = foods

    def markers(events: list[tuple[str, Any]]) -> list[str]:
        return [n["text"] for d in text_deltas(events) for n in d.get("annotations") or []]

    thread = client.beta.threads.create()
    assert markers(ask(client, assistant["id"], thread.id, QUESTION)) == [
        "【4:0†favorite_foods.txt】"
    ]
    follow_up = ask(client, assistant["id"], thread.id, "And my favorite food on Sundays?")
    assert markers(follow_up) == ["【6:0†favorite_foods.txt】"]

    two = client.beta.threads.create(
        messages=[
            {"role": "user", "content": "Hello."},
            {"role": "user", "content": QUESTION},
        ]
    )
    assert markers(streamed_run(client, two.id, assistant["id"])) == ["【5:0†favorite_foods.txt】"]


def test_a_second_search_in_one_run_counts_the_first(
    client: Any, emulator: Any, foods: Any
) -> None:
    assistant, _upload, _store = foods
    emulator.set_brain(
        [{"actions": [{"search": "pancakes"}, {"search": QUESTION}, {"say": "{{citations}}"}]}]
    )
    thread = client.beta.threads.create()
    events = ask(client, assistant["id"], thread.id, QUESTION)
    notes = [n["text"] for d in text_deltas(events) for n in d.get("annotations") or []]
    assert notes == ["【6:0†favorite_foods.txt】"]


def test_an_unrelated_question_falls_under_the_threshold(client: Any, foods: Any) -> None:
    assistant, _upload, store = foods
    thread = client.beta.threads.create()
    events = ask(client, assistant["id"], thread.id, "What is my favorite movie?")
    completed = [
        d for n, d in events if n == "thread.run.step.completed" and d["type"] == "tool_calls"
    ]
    assert completed[0]["step_details"]["tool_calls"][0]["file_search"]["results"] == []
    assert not [d for d in text_deltas(events) if d.get("annotations")]
    (score,) = [
        r["score"]
        for r in raw_json(
            client.vector_stores.with_raw_response.search(
                store.id, query="What is my favorite movie?"
            )
        )["data"]
    ]
    assert 0 < score < 0.5


WORDS = ["pizza", "river", "engine", "violin", "garden", "planet", "copper", "meadow"]


@settings(max_examples=40, deadline=None)
@given(
    docs=st.lists(
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=30), min_size=1, max_size=8
    ),
    query=st.lists(st.sampled_from(WORDS), min_size=1, max_size=4),
)
def test_calibrated_scores_keep_bm25s_ranking(docs: list[list[str]], query: list[str]) -> None:
    """Whatever the corpus: scores lie in (0, 1), come out in bm25s' own order, and the same
    input gives the same output."""
    import bm25s

    chunks = [Chunk(f"file-{i}", " ".join(words)) for i, words in enumerate(docs)]
    hits = rank(chunks, " ".join(query), limit=50)
    assert hits == rank(chunks, " ".join(query), limit=50)
    assert all(0 < h.score < 1 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)

    retriever = bm25s.BM25()
    retriever.index([terms(c.text) for c in chunks], show_progress=False)
    ids, scores = retriever.retrieve(
        [list(dict.fromkeys(terms(" ".join(query))))], k=len(chunks), show_progress=False
    )
    raw = {chunks[int(i)].file_id: float(s) for i, s in zip(ids[0], scores[0], strict=True)}
    ranked = [h.chunk.file_id for h in hits]
    assert ranked == sorted(ranked, key=lambda f: (-raw[f], int(f.split("-")[1])))
    assert set(ranked) == {f for f, s in raw.items() if s > 0}


def test_calibration_points() -> None:
    assert calibrate(1.0, 1.0) == pytest.approx(0.68, abs=0.005)
    assert calibrate(0.0, 1.0) == 0.0
    assert calibrate(5.0, 0.0) == 0.0
    assert calibrate(0.3, 1.0) < 0.5 < calibrate(1.0, 1.0) < calibrate(2.0, 1.0) < 1.0
