"""Responses read later: what replay loads up front (every request, to match) and what it
reads only as it serves it (each response), with the same checks either way."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.cassette.format import dumps, loads
from harness.cassette.model import Cassette
from harness.cassette.player import Player
from harness.errors import CassetteFormatError
from tests.cassette.test_format import (
    FIELD_CASES,
    _cassettes,
    _document,
    _own_layout,
    _read_every_response_later,
    _realistic,
    _set,
    _yaml,
)
from tests.support.budget import examples


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cassettes, st.sampled_from(["", "# a note\n", "\n"]))
def test_responses_read_later_are_the_responses_read_at_once(
    cassette: Cassette, between: str
) -> None:
    text = dumps(cassette).replace("\n  response: ", "\n" + between + "  response: ")
    assert _read_every_response_later(text, "later.yaml") == loads(text) == cassette


def test_a_response_is_read_only_when_it_is_served() -> None:
    doc = _set(_document(), ("interactions", 1, "response", "status"), "OK")
    player = Player(loads(_own_layout(doc), "later.yaml", responses_later=True))
    first, second = (i.request for i in loads(_own_layout(_document())).interactions[:2])

    assert player.find(first) is not None  # the broken second response is not read yet
    with pytest.raises(CassetteFormatError) as caught:
        player.find(second)
    assert str(caught.value) == (
        "later.yaml: interaction 2: response: field 'status' must be int, got 'OK'"
    )
    assert player.played() == [0]  # what could not be read was not served


RESPONSE_CASES = [case for case in FIELD_CASES if case[0][2:3] == ("response",)]


@pytest.mark.parametrize(("path", "new", "expected"), RESPONSE_CASES)
def test_every_response_field_is_checked_when_it_is_read(
    path: tuple[Any, ...], new: Any, expected: str
) -> None:
    doc = _set(_document(), path, new)
    for text in (_yaml(doc), *_spelled_by_dumps(doc)):
        with pytest.raises(CassetteFormatError) as caught:
            _read_every_response_later(text, "later.yaml")
        message = str(caught.value)
        assert expected in message and "\n" not in message, message
        assert message.startswith(f"later.yaml: interaction {path[1] + 1}") or "line" in message


def _spelled_by_dumps(doc: dict[str, Any]) -> list[str]:
    with contextlib.suppress(ValueError):  # not JSON: only YAML spells it
        return [_own_layout(doc)]
    return []


def test_a_key_given_twice_in_a_response_is_refused_when_it_is_read() -> None:
    text = _own_layout(_document()).replace(
        '"status": 200,', '"status": 200,\n      "status": 500,', 1
    )
    cassette = loads(text, "twice.yaml", responses_later=True)  # requests: fine
    with pytest.raises(CassetteFormatError, match=r"^twice.yaml: line \d+: .*given twice"):
        _ = cassette.interactions[0].response


def test_a_response_spelled_in_yaml_is_read_the_slow_way() -> None:
    cassette = _realistic(1)
    text = dumps(cassette)
    first = text.index("  response: ") + len("  response: ")
    end = text.index("\n- request: ", first)
    edited = text[:first] + '{status: 200, headers: {content-type: "application/json"},\n'
    edited += "    body: " + text[text.index('"body": ', first) + 8 : end].strip()[:-1] + "}"
    edited += text[end:]
    assert _read_every_response_later(edited, "later.yaml") == loads(edited) == cassette


def test_a_response_nested_deeper_than_any_api_object_is_refused_when_it_is_read() -> None:
    value: Any = "x"
    for _ in range(150):
        value = [value]
    doc = _set(_document(), ("interactions", 0, "response", "body", "deep"), value)
    cassette = loads(_own_layout(doc), "deep.yaml", responses_later=True)
    with pytest.raises(CassetteFormatError, match=r"^deep.yaml.* nests more than 100 levels"):
        _ = cassette.interactions[0].response
