"""The indexed player, and the interception that drives it from vcrpy's patch."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from vcr.matchers import requests_match
from vcr.request import Request as VcrRequest

from harness.adapters.vcrpy import VcrFace, _make_lazy_request, patch_transports
from harness.api.sse import parse as parse_sse
from harness.cassette.format import dumps, loads
from harness.cassette.interception import Interception
from harness.cassette.matching import request_key
from harness.cassette.model import Cassette, Interaction, Request, Response
from harness.cassette.player import Player
from harness.cassette.redact import Redactor
from harness.errors import UnmatchedRequestError


def _json(body: Any, status: int = 200) -> Response:
    return Response(status, {"content-type": "application/json"}, body)


def _poll(thread: str) -> Request:
    return Request("GET", f"/threads/{thread}/runs/run_1")


def _polling_cassette() -> Cassette:
    return Cassette(
        meta={"base_path": "/v1"},
        interactions=[
            Interaction(
                Request("POST", "/threads/t1/runs", body={"assistant_id": "a"}),
                _json({"id": "run_1", "status": "queued"}),
            ),
            Interaction(_poll("t1"), _json({"status": "in_progress"}), 3),
            Interaction(_poll("t2"), _json({"status": "queued", "thread": "t2"})),
            Interaction(_poll("t1"), _json({"status": "completed"})),
            Interaction(_poll("t2"), _json({"status": "completed", "thread": "t2"})),
        ],
    )


def _statuses(player: Player, request: Request, times: int) -> list[str]:
    out = []
    for _ in range(times):
        response = player.find(request)
        assert response is not None
        out.append(response.body["status"])
    return out


def test_recorded_order_within_a_key_with_repeats_then_the_last_repeats() -> None:
    player = Player(_polling_cassette())
    assert not player.all_played()
    assert _statuses(player, _poll("t1"), 6) == ["in_progress"] * 3 + ["completed"] * 3
    assert _statuses(player, _poll("t2"), 3) == ["queued", "completed", "completed"]
    assert player.find(Request("POST", "/threads/t1/runs", body={"assistant_id": "a"})) is not None
    assert player.all_played()


def test_keys_are_independent_of_interleaving() -> None:
    player = Player(_polling_cassette())
    assert _statuses(player, _poll("t2"), 1) == ["queued"]
    assert _statuses(player, _poll("t1"), 1) == ["in_progress"]
    assert _statuses(player, _poll("t2"), 1) == ["completed"]
    assert _statuses(player, _poll("t1"), 3) == ["in_progress", "in_progress", "completed"]


def test_unknown_requests_find_nothing() -> None:
    player = Player(_polling_cassette())
    assert player.find(_poll("t3")) is None
    assert player.find(Request("POST", "/threads/t1/runs", body={"assistant_id": "b"})) is None
    assert player.find(Request("DELETE", "/threads/t1/runs/run_1")) is None


def test_query_order_brackets_and_json_key_order_do_not_matter() -> None:
    recorded = Request(
        "GET", "/threads/t/messages", query=(("order", "asc"), ("include[]", "x"), ("after", "m1"))
    )
    player = Player(
        Cassette(
            interactions=[
                Interaction(recorded, _json({"data": []})),
                Interaction(
                    Request("POST", "/threads/t/messages", body={"role": "user", "content": "hi"}),
                    _json({"id": "m"}),
                ),
            ]
        )
    )
    assert player.find(
        Request(
            "GET",
            "/threads/t/messages",
            query=(("after", "m1"), ("include", "x"), ("order", "asc")),
        )
    )
    assert player.find(
        Request("POST", "/threads/t/messages", body={"content": "hi", "role": "user"})
    )
    assert (
        player.find(
            Request("GET", "/threads/t/messages", query=(("order", "desc"), ("after", "m1")))
        )
        is None
    )
    assert (
        player.find(Request("POST", "/threads/t/messages", body={"content": "bye", "role": "user"}))
        is None
    )


def test_lookup_cost_does_not_grow_with_the_cassette() -> None:
    """One key computation and one dict access per request, whatever the size."""
    calls = []

    def counting_key(request: Request) -> Any:
        calls.append(request)
        return request_key(request)

    for size in (10, 5_000):
        cassette = Cassette(
            interactions=[
                Interaction(_poll(f"t{n}"), _json({"status": "completed", "n": n}))
                for n in range(size)
            ]
        )
        player = Player(cassette, key=counting_key)
        calls.clear()
        for n in (0, size // 2, size - 1):
            response = player.find(_poll(f"t{n}"))
            assert response is not None and response.body["n"] == n
        assert len(calls) == 3


def test_wire_renders_each_response_once() -> None:
    events = (
        {"event": "thread.run.created", "data": {"id": "run_1"}},
        {"event": "done", "data": "[DONE]"},
    )
    responses = [
        _json({"id": "x", "n": 1}),
        Response(200, {"content-type": "text/event-stream"}, events=events),
        Response(200, {"content-type": "text/plain"}, text="héllo"),
        Response(200, {"content-type": "application/octet-stream"}, base64="AAEC"),
        Response(204),
    ]
    player = Player(Cassette())
    bodies = []
    for response in responses:
        headers, body = player.wire(response)
        assert player.wire(response) is player.wire(response)  # cached
        assert ("content-length", str(len(body))) in headers
        bodies.append(body)
    assert bodies[0] == b'{"id":"x","n":1}'
    assert parse_sse(bodies[1]) == events
    assert bodies[2:] == ["héllo".encode(), b"\x00\x01\x02", b""]


def test_player_serves_what_a_loaded_file_holds() -> None:
    cassette = _polling_cassette()
    player = Player(loads(dumps(cassette)))
    assert _statuses(player, _poll("t1"), 5) == ["in_progress"] * 3 + ["completed"] * 2


# --- the vcrpy side ---------------------------------------------------------------

_HTTPX_MODULES = [name for name in ("httpx2", "httpx") if importlib.util.find_spec(name)]


def test_lazy_vcr_request_is_a_full_vcr_request() -> None:
    """vcrpy code that gets our lazy request (say, a user's own vcr cassette
    active at the same time) sees exactly what its eager request would hold."""
    httpx = importlib.import_module(_HTTPX_MODULES[0])
    real = httpx.Request(
        "POST",
        "http://127.0.0.1:9/v1/threads/t/messages?order=asc&after=m1",
        headers={"Content-Type": "application/json", "OpenAI-Beta": "assistants=v2"},
        content=b'{"a":1}',
    )
    lazy = _make_lazy_request(real, b'{"a":1}')
    eager = VcrRequest(real.method, str(real.url), b'{"a":1}', real.headers)
    assert isinstance(lazy, VcrRequest)
    for name in ("method", "uri", "body", "scheme", "host", "port", "path", "query"):
        assert getattr(lazy, name) == getattr(eager, name), name
    assert dict(lazy.headers) == dict(eager.headers)
    assert lazy._to_dict() == eager._to_dict()
    assert requests_match(
        lazy, eager, [lambda a, b: a.path == b.path, lambda a, b: a.query == b.query]
    )
    lazy.uri = "http://other:1/x"
    assert lazy.host == "other" and lazy.path == "/x"
    lazy.headers = {"x": ["1"]}
    assert lazy.headers["X"] == "1"


def _replaying(cassette: Cassette) -> Interception:
    """An interception replaying `cassette` for the API at http://127.0.0.1:9/v1."""
    return Interception(
        player=Player(cassette),
        recorder=None,
        redactor=Redactor(),
        api_urls=("http://127.0.0.1:9/v1",),
        source="polls.yaml",
        rerecord_hint="pytest --record",
    )


@pytest.mark.parametrize("module", _HTTPX_MODULES)
def test_interception_replays_over_a_real_client_without_network(
    module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpx = importlib.import_module(module)
    interception = _replaying(_polling_cassette())
    seen: list[Any] = []
    ask = VcrFace.can_play_response_for

    def spy(self: VcrFace, vcr_request: Any) -> bool:
        seen.append(vcr_request)
        return ask(self, vcr_request)

    monkeypatch.setattr(VcrFace, "can_play_response_for", spy)
    with (
        patch_transports(interception),
        httpx.Client(base_url="http://127.0.0.1:9/v1") as client,
    ):
        statuses = [client.get("/threads/t1/runs/run_1").json()["status"] for _ in range(4)]
        created = client.post("/threads/t1/runs", json={"assistant_id": "a"})
        with pytest.raises(
            UnmatchedRequestError, match="No recorded response for GET /threads/t9/runs/run_1"
        ):
            client.get("/threads/t9/runs/run_1")
    assert statuses == ["in_progress"] * 3 + ["completed"]
    assert created.status_code == 200 and created.json() == {"id": "run_1", "status": "queued"}
    assert created.headers["content-type"] == "application/json"
    # vcrpy built our lazy request: its headers were never converted.
    assert seen and all(getattr(r, "_headers", "eager") is None for r in seen)
    assert len(interception.misses) == 1


@pytest.mark.parametrize("module", _HTTPX_MODULES)
def test_vcrpy_request_hook_is_restored(module: str) -> None:
    from vcr.stubs import httpx_stubs

    original = httpx_stubs._make_vcr_request
    interception = _replaying(Cassette())
    played = httpx_stubs._play_responses
    with patch_transports(interception):
        assert httpx_stubs._make_vcr_request is _make_lazy_request
        assert httpx_stubs._play_responses is not played
    assert httpx_stubs._make_vcr_request is original
    assert httpx_stubs._play_responses is played


@pytest.mark.parametrize("module", _HTTPX_MODULES)
def test_a_poll_is_parsed_once_and_a_changed_request_again(
    module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpx = importlib.import_module(module)
    interception = _replaying(_polling_cassette())
    parsed: list[str] = []
    parse = Interception.parse

    def spy(self: Interception, method: str, url: str, headers: Any, body: bytes) -> Any:
        parsed.append(url)
        return parse(self, method, url, headers, body)

    monkeypatch.setattr(Interception, "parse", spy)
    with (
        patch_transports(interception),
        httpx.Client(base_url="http://127.0.0.1:9/v1") as client,
    ):
        polls = [client.get("/threads/t1/runs/run_1") for _ in range(3)]
        other_key = client.get("/threads/t1/runs/run_1", headers={"authorization": "Bearer k2"})
    assert [p.json()["status"] for p in [*polls, other_key]] == ["in_progress"] * 3 + ["completed"]
    assert all(p.headers["content-type"] == "application/json" for p in polls)
    assert len(parsed) == 2  # the first poll, then the request with another credential


def test_unplayed_names_interactions_never_served_and_counts_repeats_of_a_poll_once() -> None:
    cassette = _polling_cassette()
    cassette.interactions.insert(
        2,
        Interaction(_poll("t1"), _json({"status": "in_progress"})),  # kept apart by headers
    )
    player = Player(cassette)
    assert player.unplayed() == [0, 1, 2, 3, 4, 5]
    player.find(_poll("t1"))  # one of the five identical in_progress polls
    assert player.unplayed() == [0, 3, 4, 5], "all identical polls in a row count as played"
    player.find(Request("POST", "/threads/t1/runs", body={"assistant_id": "a"}))
    assert player.unplayed() == [3, 4, 5]
    assert player.peek(_poll("t2")) == 3
    played = player.take(_poll("t2"))
    assert played is not None and played.index == 3
    assert player.take(_poll("t2"), again=False) is not None
    assert player.take(_poll("t2"), again=False) is None, "no last repeat when asked for none"
    assert player.unplayed() == [4]
