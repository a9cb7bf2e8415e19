"""The redactor's rules one by one, as properties over the shapes a secret takes.

The attacks through the plugin are in `tests/reliability/test_secret_*.py`;
here the same rules are checked where a property is cheap to state: a streamed
text cut anywhere, a secret at any depth of JSON encoded in strings, names in
any spelling, learned values of every length.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import string
import urllib.parse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.cassette.credentials import REDACTED, is_credential_name
from harness.cassette.deltas import cut, streamed_fields
from harness.cassette.model import Interaction, Request, Response
from harness.cassette.recorder import Recorder
from harness.cassette.redact import Redactor, credentials
from harness.cassette.spans import apply
from tests.reliability.leaks import leaks, opaque, openai_key

SECRET = opaque("Un")
REDACTOR = Redactor.build([SECRET])


@settings(max_examples=200, deadline=None)
@given(
    before=st.text(alphabet=string.printable, max_size=30),
    after=st.text(alphabet=string.printable, max_size=30),
    cuts=st.lists(st.integers(min_value=0, max_value=100), max_size=12),
)
def test_a_streamed_text_cut_anywhere_is_redacted_whole(
    before: str, after: str, cuts: list[int]
) -> None:
    text = f"{before} {SECRET} {after}"
    bounds = sorted({min(c, len(text)) for c in cuts} | {0, len(text)})
    pieces = [text[a:b] for a, b in itertools.pairwise(bounds)]
    spans = REDACTOR.rules.spans(text)
    out = cut(pieces, spans)
    assert len(out) == len(pieces)
    assert "".join(out) == apply(text, spans)
    assert leaks("".join(out), {"secret": SECRET}) == []
    assert leaks("\n".join(out), {"secret": SECRET}) == []


def _message_events(pieces: list[str]) -> tuple[dict[str, object], ...]:
    return tuple(
        {
            "event": "thread.message.delta",
            "data": {
                "id": "msg_1",
                "delta": {"content": [{"index": 0, "type": "text", "text": {"value": p}}]},
            },
        }
        for p in pieces
    )


@pytest.mark.parametrize(
    "shape",
    ["assistants message", "assistants arguments", "responses", "chat completions"],
)
def test_every_known_stream_shape_is_joined_per_field(shape: str) -> None:
    key = openai_key()
    text = f"the key: {key}"
    pieces = [text[i : i + 4] for i in range(0, len(text), 4)]
    if shape == "assistants message":
        events = _message_events(pieces)
    elif shape == "assistants arguments":
        events = tuple(
            {
                "event": "thread.run.step.delta",
                "data": {
                    "id": "step_1",
                    "delta": {
                        "step_details": {
                            "type": "tool_calls",
                            "tool_calls": [
                                {"index": 0, "type": "function", "function": {"arguments": p}}
                            ],
                        }
                    },
                },
            }
            for p in pieces
        )
    elif shape == "responses":
        events = tuple(
            {
                "event": "response.output_text.delta",
                "data": {"item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": p},
            }
            for p in pieces
        )
    else:
        events = tuple(
            {
                "event": None,
                "data": {"id": "c1", "choices": [{"index": 0, "delta": {"content": p}}]},
            }
            for p in pieces
        )
    (field,) = streamed_fields(events)
    assert field.text == text
    redacted = Redactor().response(Response(200, events=events))
    assert redacted.events is not None
    (after,) = streamed_fields(redacted.events)
    assert after.text == f"the key: {REDACTED}"
    assert len(after.pieces) == len(pieces)


def test_fields_of_different_messages_and_indexes_are_not_joined() -> None:
    events = _message_events(["sk-", "proj-"]) + tuple(
        {
            "event": "thread.message.delta",
            "data": {
                "id": "msg_2",
                "delta": {"content": [{"index": 1, "type": "text", "text": {"value": "abc"}}]},
            },
        }
        for _ in range(2)
    )
    assert [f.text for f in streamed_fields(events)] == ["sk-proj-", "abcabc"]


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
@pytest.mark.parametrize("name", ["password", "client_secret", "apiKey", "X-Api-Key", "auth_token"])
def test_a_credential_field_is_found_in_json_encoded_at_any_depth(depth: int, name: str) -> None:
    value = opaque("Js")
    data: object = {name: value, "note": "kept"}
    for _ in range(depth):
        data = {"output": json.dumps(data)}
    redacted = Redactor().data(data)
    assert leaks(json.dumps(redacted), {"value": value}) == []
    for _ in range(depth):
        assert isinstance(redacted, dict)
        redacted = json.loads(redacted["output"])
    assert redacted == {name: REDACTED, "note": "kept"}


@pytest.mark.parametrize(
    ("name", "query", "expected"),
    [
        ("x-api-key", False, True),
        ("X_API_KEY", False, True),
        ("xApiKey", False, True),
        ("Ocp-Apim-Subscription-Key", False, True),
        ("client_secret", False, True),
        ("refresh_token", False, True),
        ("sig", True, True),
        ("pwd", False, True),
        ("credentials", False, True),
        ("set-cookie", False, True),
        ("key", True, True),
        ("key", False, False),  # a vector store filter's attribute name
        ("max_tokens", False, False),
        ("prompt_tokens", False, False),
        ("author", False, False),
        ("instructions", False, False),
    ],
)
def test_credential_names_in_any_spelling(name: str, query: bool, expected: bool) -> None:
    assert is_credential_name(name, query=query) is expected


@pytest.mark.parametrize(
    "value",
    ["assistant", "user", "threads", "v1", "asc", "Bearer", "in_progress", "application/json"],
)
def test_ordinary_words_learned_as_credentials_are_never_redacted(value: str) -> None:
    redactor = Redactor().learning([value])
    body = {"role": value, "path": f"/{value}s/x", "text": f"a {value} b"}
    assert redactor.data(body) == body
    assert redactor.text(f"/{value}s") == f"/{value}s"


@pytest.mark.parametrize("value", ["a1b2", "x9-y8z", "12345678"])
def test_short_or_numeric_values_are_replaced_only_where_a_whole_field_equals_them(
    value: str,
) -> None:
    redactor = Redactor().learning([value])
    assert redactor.data({"a": value, "b": f"x{value}y", "c": [value]}) == {
        "a": REDACTED,
        "b": f"x{value}y",
        "c": [REDACTED],
    }


def test_learned_values_persist_and_reach_every_later_exchange() -> None:
    key = opaque("Az")
    redactor = Redactor()
    first = Request("GET", "/assistants", headers={"api-key": key})
    redactor.interaction(Interaction(first, Response(200)))
    later = Request("POST", "/assistants", body={"instructions": f"key {key}"})
    assert redactor.request(later).body == {"instructions": f"key {REDACTED}"}


def test_credentials_come_from_auth_schemes_cookies_queries_and_fields() -> None:
    password = opaque("Pw")
    basic = base64.b64encode(f"me:{password}".encode()).decode()
    request = Request(
        "POST",
        "/threads",
        query=(("sig", "Sg123456789"), ("order", "asc")),
        headers={
            "authorization": f"Basic {basic}",
            "cookie": "sid=Ck123456789; theme=dark",
            "user-agent": "OpenAI/Python 9.9.9",
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "x-tenant": "Tn123456789",
        },
        body={"metadata": {"client_secret": "Cs123456789"}},
    )
    response = Response(200, headers={"set-cookie": "s=Sc123456789; Path=/, t=Tc987654321"})
    found = credentials(request, response)
    assert {password, basic, "Sg123456789", "Ck123456789", "Cs123456789", "Tn123456789"} <= found
    assert {"Sc123456789", "Tc987654321"} <= found
    assert "asc" not in found and "OpenAI/Python 9.9.9" not in found
    assert not any(v.startswith("00-4bf9") for v in found)  # a trace id is no credential


@pytest.mark.parametrize("offset", [0, 1, 2])
def test_base64_forms_of_a_secret_are_found_at_every_alignment(offset: int) -> None:
    encoded = base64.b64encode(b"." * offset + SECRET.encode() + b"..").decode()
    assert REDACTOR.text(f"data: {encoded} end") == f"data: {REDACTED} end"
    unknown = openai_key()  # known by its pattern only: the run is decoded
    encoded = base64.urlsafe_b64encode(b"." * offset + unknown.encode()).decode()
    assert Redactor().text(encoded) == REDACTED


@pytest.mark.parametrize(
    "form",
    [
        lambda v: urllib.parse.quote(v, safe=""),
        lambda v: urllib.parse.quote_plus(v),
        lambda v: "".join(f"\\u{ord(c):04x}" for c in v),
        lambda v: json.dumps(v)[1:-1],
        lambda v: v.encode().hex(),
        lambda v: v.encode().hex().upper(),
    ],
    ids=["percent", "plus", "unicode-escapes", "json", "hex", "HEX"],
)
def test_a_learned_value_is_found_percent_encoded_escaped_or_as_hex(form) -> None:  # type: ignore[no-untyped-def]
    token = opaque("Tk")[:12] + "+/=" + opaque("Tk")[:12] + "/a b"  # characters a URL escapes
    redactor = Redactor()
    redactor.interaction(
        Interaction(Request("GET", "/models", headers={"x-token": token}), Response(200))
    )
    later = Request("POST", "/threads", body={"note": f"seen as {form(token)} here"})
    assert redactor.request(later).body == {"note": f"seen as {REDACTED} here"}


def test_redaction_is_idempotent_over_every_shape() -> None:
    key = openai_key()
    body = {
        "instructions": f"use {key}",
        "metadata": {"pwd": "hunter2hunter2"},
        "output": json.dumps({"password": "p4ss", "nested": json.dumps({"token": "t0ken1"})}),
        "query": f"https://x/?access-token={secrets.token_hex(8)}&order=asc",
        "python": "{'client_secret': 'cs-123456'}",
    }
    once = Redactor().data(body)
    assert Redactor().data(once) == once
    assert "order=asc" in once["query"]


@pytest.mark.parametrize("depth", [500, 5000])
def test_a_deeply_nested_body_is_redacted_without_recursion(depth: int) -> None:
    key = openai_key()
    body: object = {"note": key, "output": json.dumps({"password": "p4ssw0rd!"})}
    for _ in range(depth):
        body = {"x": [body]}
    recorder = Recorder(Redactor())
    recorder.add(Request("POST", "/threads", body=body), Response(400, body=body))
    (kept,) = recorder.interactions
    inner = kept.request.body
    for _ in range(depth):
        inner = inner["x"][0]
    assert inner == {"note": REDACTED, "output": json.dumps({"password": REDACTED})}
