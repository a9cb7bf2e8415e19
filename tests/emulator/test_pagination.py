"""Cursor pagination: limit, order, after, before, has_more, first_id/last_id, SDK auto-paging."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from harness.emulator.backend.store import paginate

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def thread_with_25(client: Any) -> tuple[Any, list[str]]:
    thread = client.beta.threads.create()
    ids = [
        client.beta.threads.messages.create(
            thread_id=thread.id, role="user", content=f"message {i}"
        ).id
        for i in range(25)
    ]
    return thread, ids


def test_default_page_is_20_newest_first(client: Any, thread_with_25: Any) -> None:
    thread, ids = thread_with_25
    page = client.beta.threads.messages.list(thread_id=thread.id)
    assert [m.id for m in page.data] == ids[::-1][:20]
    assert page.has_more and page.first_id == ids[-1] and page.last_id == ids[5]


def test_after_and_before_cursors(client: Any, thread_with_25: Any) -> None:
    thread, ids = thread_with_25
    asc = client.beta.threads.messages.list(
        thread_id=thread.id, order="asc", limit=10, after=ids[4]
    )
    assert [m.id for m in asc.data] == ids[5:15] and asc.has_more
    tail = client.beta.threads.messages.list(
        thread_id=thread.id, order="asc", limit=10, after=ids[19]
    )
    assert [m.id for m in tail.data] == ids[20:] and not tail.has_more
    before = client.beta.threads.messages.list(
        thread_id=thread.id, order="asc", limit=3, before=ids[10]
    )
    assert [m.id for m in before.data] == ids[7:10] and before.has_more
    desc_before = client.beta.threads.messages.list(thread_id=thread.id, limit=3, before=ids[10])
    assert [m.id for m in desc_before.data] == [ids[13], ids[12], ids[11]]


def test_sdk_auto_paging_sees_everything_once(client: Any, thread_with_25: Any) -> None:
    thread, ids = thread_with_25
    seen = [
        m.id for m in client.beta.threads.messages.list(thread_id=thread.id, limit=7, order="asc")
    ]
    assert seen == ids


def test_empty_list_envelope(emulator: Any) -> None:
    headers = {"Authorization": "Bearer k", "OpenAI-Beta": "assistants=v2"}
    thread = httpx.post(emulator.base_url + "/threads", json={}, headers=headers).json()
    page = httpx.get(
        emulator.base_url + f"/threads/{thread['id']}/messages", headers=headers
    ).json()
    assert page == {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }


def test_runs_and_steps_lists(client: Any) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create()
    runs = []
    for text in ("one", "two", "three"):
        client.beta.threads.messages.create(thread_id=thread.id, role="user", content=text)
        runs.append(
            client.beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=5
            )
        )
    listed = client.beta.threads.runs.list(thread_id=thread.id, limit=2)
    assert [r.id for r in listed.data] == [runs[2].id, runs[1].id] and listed.has_more
    only = client.beta.threads.messages.list(thread_id=thread.id, run_id=runs[1].id)
    assert len(only.data) == 1 and only.data[0].run_id == runs[1].id


def test_paginate_unit() -> None:
    items = [{"id": str(i)} for i in range(5)]
    assert paginate(items, limit=2, order="asc")["data"] == items[:2]
    assert paginate(items, limit=2, order="desc", after="3")["data"] == [items[2], items[1]]
    assert paginate(items, limit=2, order="asc", after="1", before="4")["data"] == [
        items[2],
        items[3],
    ]
    unknown = paginate(items, after="nope")
    assert unknown["data"] == [] and not unknown["has_more"]
