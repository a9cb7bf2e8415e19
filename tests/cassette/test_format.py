"""The cassette file format: the fast reader, the YAML reader, compaction, errors."""

from __future__ import annotations

import base64
import contextlib
import json
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import safe_yaml
from harness.cassette.format import dumps, from_data, loads
from harness.cassette.model import Cassette, Interaction, Request, Response
from harness.cassette.recorder import Recorder
from harness.cassette.redact import Redactor
from harness.cassette.storage import read_cassette
from harness.errors import CassetteFormatError
from tests.support.budget import examples

# --- generated cassettes -------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)  # 1e+16 and 5e-324 included
    | st.text(max_size=30)
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
_names = st.text(alphabet=string.ascii_lowercase + "-", min_size=1, max_size=12)
_events = st.lists(
    st.fixed_dictionaries(
        {
            "event": st.sampled_from(["thread.run.created", "thread.message.delta", "done"]),
            "data": _json,
        }
    ),
    max_size=4,
)


@st.composite
def _requests(draw: st.DrawFn) -> Request:
    kind = draw(st.sampled_from(["none", "body", "multipart", "text"]))
    return Request(
        method=draw(st.sampled_from(["GET", "POST", "DELETE"])),
        path="/"
        + "/".join(
            draw(
                st.lists(
                    st.text(alphabet=string.ascii_letters + "_", min_size=1, max_size=10),
                    min_size=1,
                    max_size=4,
                )
            )
        ),
        query=tuple(
            draw(
                st.lists(
                    st.tuples(
                        st.sampled_from(["order", "after", "include[]", "limit"]),
                        st.text(max_size=10),
                    ),
                    max_size=3,
                )
            )
        ),
        headers=draw(st.dictionaries(_names, st.text(max_size=20), max_size=3)),
        body=draw(_json.filter(lambda v: v is not None)) if kind == "body" else None,
        multipart=tuple(
            draw(
                st.lists(
                    st.fixed_dictionaries(
                        {"name": st.text(max_size=8), "text": st.text(max_size=20)}
                    ),
                    min_size=1,
                    max_size=2,
                )
            )
        )
        if kind == "multipart"
        else None,
        text=draw(st.text(max_size=40)) if kind == "text" else None,
    )


@st.composite
def _responses(draw: st.DrawFn) -> Response:
    kind = draw(st.sampled_from(["none", "body", "events", "text", "base64"]))
    return Response(
        status=draw(st.sampled_from([200, 201, 400, 404, 429, 500])),
        headers=draw(st.dictionaries(_names, st.text(max_size=20), max_size=3)),
        body=draw(_json.filter(lambda v: v is not None)) if kind == "body" else None,
        events=tuple(draw(_events)) if kind == "events" else None,
        text=draw(st.text(max_size=40)) if kind == "text" else None,
        base64=base64.b64encode(draw(st.binary(max_size=20))).decode()
        if kind == "base64"
        else None,
    )


# meta keys the harness reads itself must hold text; the rest may hold any JSON
_META_TEXT = {"harness", "sdk", "backend", "base_path", "base_host", "test", "recorded_at"}
_cassettes = st.builds(
    Cassette,
    meta=st.dictionaries(
        st.text(max_size=10).filter(lambda k: k not in _META_TEXT | {"migrated_from", "name"}),
        _json,
        max_size=4,
    ),
    interactions=st.lists(
        st.builds(Interaction, _requests(), _responses(), st.integers(1, 50)), max_size=6
    ),
)


def _yaml_only(text: str) -> Cassette:
    return from_data(safe_yaml.load(text), "<test>")


@contextlib.contextmanager
def _no_yaml() -> Iterator[None]:
    """Fail if the cassette reader falls back to YAML: the text is in our own layout."""
    with mock.patch.object(safe_yaml, "load", side_effect=AssertionError("read by YAML")):
        yield


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cassettes)
def test_fast_reader_equals_yaml_reader_on_generated_cassettes(cassette: Cassette) -> None:
    text = dumps(cassette)
    with _no_yaml():  # our own layout never needs YAML
        fast = loads(text)
    assert fast == cassette
    assert _yaml_only(text) == fast


def _realistic(count: int) -> Cassette:
    run = {
        "id": "run_abc",
        "object": "thread.run",
        "created_at": 1764000000,
        "status": "in_progress",
        "instructions": "You are a math tutor. ünïcödé ✓ \u2028 \x85 \t",
        "tools": [{"type": "code_interpreter"}],
        "usage": None,
        "temperature": 1.0,
        "top_p": 0.25,
        "metadata": {},
        "truncation_strategy": {"type": "auto", "last_messages": None},
    }
    interactions = []
    for number in range(count):
        thread = f"/threads/thread_{number}"
        interactions += [
            Interaction(
                Request(
                    "POST",
                    thread + "/runs",
                    headers={"content-type": "application/json"},
                    body={"assistant_id": "asst_1"},
                ),
                Response(200, {"content-type": "application/json"}, run),
            ),
            Interaction(
                Request("GET", thread + "/runs/run_abc"),
                Response(200, {"openai-poll-after-ms": "500"}, run),
                4,
            ),
            Interaction(
                Request("GET", thread + "/messages", query=(("order", "asc"), ("after", "msg_1"))),
                Response(200, body={"object": "list", "data": [], "has_more": False}),
            ),
            Interaction(
                Request("POST", thread + "/runs", body={"assistant_id": "asst_1", "stream": True}),
                Response(
                    200,
                    {"content-type": "text/event-stream"},
                    events=(
                        {"event": "thread.run.created", "data": run},
                        {"event": "done", "data": "[DONE]"},
                    ),
                ),
            ),
        ]
    return Cassette(meta={"harness": "test", "base_path": "/v1"}, interactions=interactions)


def test_fast_reader_equals_yaml_reader_on_a_realistic_cassette() -> None:
    cassette = _realistic(30)
    text = dumps(cassette)
    assert loads(text) == _yaml_only(text) == cassette


def test_no_size_limit(tmp_path: Path) -> None:
    cassette = _realistic(800)  # 3,200 interactions, 5,600 exchanges
    path = tmp_path / "big.yaml"
    path.write_text(dumps(cassette))
    assert read_cassette(path) == cassette


def test_empty_cassette_round_trips_with_or_without_final_newline() -> None:
    text = dumps(Cassette(meta={"a": 1}))
    assert "interactions: []\n" in text
    assert loads(text) == Cassette(meta={"a": 1})
    assert loads(text.rstrip("\n")) == Cassette(meta={"a": 1})


def test_windows_line_endings_load_the_same() -> None:
    cassette = _realistic(3)
    text = dumps(cassette)
    assert loads(text.replace("\n", "\r\n")) == cassette


def _every_line(text: str, extra: str) -> str:
    """`extra` (a comment or blank line) before every line and at the end."""
    return "".join(extra + line for line in text.splitlines(keepends=True)) + extra


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(
            lambda t: t.replace("interactions:\n", "interactions:\n# a reviewer's note\n", 1),
            id="comment",
        ),
        pytest.param(lambda t: t + "# trailing comment\n", id="trailing-comment"),
        pytest.param(lambda t: t + "# trailing comment, no line break", id="last-line-comment"),
        pytest.param(lambda t: _every_line(t, "# note\n"), id="comment-before-every-line"),
        pytest.param(lambda t: _every_line(t, "      #   indented\n"), id="indented-comments"),
        pytest.param(lambda t: _every_line(t, "\n"), id="blank-line-before-every-line"),
        pytest.param(lambda t: _every_line(t, "    \n"), id="whitespace-lines"),
        pytest.param(lambda t: "\n\n" + t.replace("\n", "\n\n"), id="double-spaced"),
        pytest.param(lambda t: t.replace("\n", "\r\n# windows\r\n"), id="crlf-comments"),
    ],
)
def test_comment_and_blank_lines_anywhere_keep_the_fast_reader(edit: Any) -> None:
    assert edit(dumps(_realistic(2))) != dumps(_realistic(2))
    for cassette in (_realistic(2), Cassette(meta={"a": 1})):
        edited = edit(dumps(cassette))
        assert _yaml_only(edited) == cassette  # YAML agrees the edit changes nothing
        with _no_yaml():
            assert loads(edited) == cassette


def test_a_hash_inside_a_value_is_content_not_a_comment() -> None:
    cassette = Cassette(
        interactions=[
            Interaction(
                Request("POST", "/threads", body={"content": "# Title\n  # not a comment #"}),
                Response(200, body={"id": "thread_1", "note": "#"}),
            )
        ]
    )
    text = dumps(cassette)
    with _no_yaml():
        assert loads(_every_line(text, "# note\n")) == cassette


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(
            lambda t: t.replace('"POST",', '"POST", # why', 1), id="comment-after-a-value"
        ),
        pytest.param(
            lambda t: t.replace("\n  response: ", "\n  response:\n    ", 1), id="value-on-next-line"
        ),
        pytest.param(
            lambda t: t.replace('"method": "POST"', "'method': POST", 1), id="yaml-spelling"
        ),
    ],
)
def test_hand_edited_files_fall_back_to_yaml_and_load_the_same(edit: Any) -> None:
    cassette = _realistic(2)
    edited = edit(dumps(cassette))
    assert edited != dumps(cassette)
    assert loads(edited) == cassette


def test_keys_in_another_order_load_the_same() -> None:
    cassette = _realistic(1)
    text = dumps(cassette)
    # the polled interaction, written as `repeat` before `response`
    start = text.index("- request: ", text.index("/runs/run_abc") - 200)
    end = text.index("- request: ", start + 1)
    item = text[start:end]
    request, rest = item.split("\n  response: ")
    response, repeat = rest.split("\n  repeat: ")
    swapped = f"{request}\n  repeat: {repeat.rstrip()}\n  response: {response}\n"
    assert loads(text[:start] + swapped + text[end:]) == cassette


# --- polling compaction ------------------------------------------------------------


def test_consecutive_identical_polls_are_stored_once_with_a_count() -> None:
    recorder = Recorder(Redactor.build(()))
    poll = Request("GET", "/threads/t/runs/r")
    waiting = Response(
        200, {"content-type": "application/json"}, {"id": "r", "status": "in_progress"}
    )
    done = Response(200, {"content-type": "application/json"}, {"id": "r", "status": "completed"})
    for _ in range(40):
        recorder.add(poll, waiting)
    recorder.add(poll, done)
    recorder.add(poll, waiting)  # not consecutive with the first 40: kept apart
    cassette = Cassette(meta={}, interactions=list(recorder.interactions))
    assert [i.repeat for i in cassette.interactions] == [40, 1, 1]
    assert len(cassette) == 42
    text = dumps(cassette)
    assert text.count('"in_progress"') == 2
    assert text.count("  repeat: 40\n") == 1
    assert "repeat: 1\n" not in text
    loaded = loads(text)
    assert loaded == cassette == _yaml_only(text)
    assert [r.body["status"] for _, r in loaded.exchanges()] == ["in_progress"] * 40 + [
        "completed",
        "in_progress",
    ]


# --- errors: one clear line, never a traceback ------------------------------------


def _error(text: str | bytes, tmp_path: Path) -> str:
    path = tmp_path / "broken.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(CassetteFormatError) as caught:
        read_cassette(path)
    message = str(caught.value)
    assert "\n" not in message, message
    assert message.startswith(str(path)), message
    return message


def test_truncated_file_names_the_line(tmp_path: Path) -> None:
    text = dumps(_realistic(3))
    cut = text[: len(text) // 2]
    message = _error(cut, tmp_path)
    assert "line" in message and "not valid YAML" in message


def test_broken_json_in_a_value_names_its_line(tmp_path: Path) -> None:
    text = dumps(_realistic(2))
    lines = text.splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if '"status": "in_progress"' in line)
    lines[number] = lines[number].replace('"in_progress",', '"in_progress" "oops",')
    message = _error("".join(lines), tmp_path)
    assert f"line {number + 1}" in message or f"line {number + 2}" in message, message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('"status": 200', '"status": "200"', "interaction 1: response: field 'status' must be int"),
        ('"method": "POST"', '"method": 7', "interaction 1: request: field 'method' must be str"),
        ('"path": "/threads/thread_0/runs",', "", "interaction 1: request: missing field 'path'"),
        ("  repeat: 4", "  repeat: 0", "interaction 2: field 'repeat' must be a positive integer"),
        ("format: 1", "format: 99", "cassette format 99 is newer"),
        ("format: 1\n", "", "missing field 'format'"),
    ],
)
def test_invalid_fields_are_one_line_with_the_interaction(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    text = dumps(_realistic(1))
    assert old in text
    assert expected in _error(text.replace(old, new, 1), tmp_path)


def test_binary_junk_and_empty_files(tmp_path: Path) -> None:
    assert "not a text cassette" in _error(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", tmp_path)
    assert "not" in _error(b"", tmp_path)
    assert "not a cassette" in _error("- just\n- a list\n", tmp_path)


# --- every field is checked, in either spelling --------------------------------------------


def _document() -> dict[str, Any]:
    cassette = _realistic(1)
    items: list[dict[str, Any]] = []
    for i in cassette.interactions:
        item = {"request": i.request.to_data(), "response": i.response.to_data()}
        if i.repeat != 1:
            item["repeat"] = i.repeat
        items.append(item)
    return {"format": 1, "meta": dict(cassette.meta), "interactions": items}


def _own_layout(doc: dict[str, Any]) -> str:
    """The document as `dumps` lays it out; ValueError when that layout cannot spell it."""

    def value(v: Any) -> str:
        try:
            text = json.dumps(v, indent=2, allow_nan=False)  # JSON or nothing: no dates, NaN
        except TypeError as exc:
            raise ValueError(exc) from None
        if json.loads(text) != v:  # a key that is not a string
            raise ValueError("not JSON")
        return text.replace("\n", "\n    ")

    if set(doc) != {"format", "meta", "interactions"} or not isinstance(doc["interactions"], list):
        raise ValueError("only YAML spells that")
    text = f"format: {value(doc['format'])}\nmeta: {value(doc['meta'])}\ninteractions:\n"
    for item in doc["interactions"]:
        if not isinstance(item, dict) or not set(item) <= {"request", "response", "repeat"}:
            raise ValueError("only YAML spells that")
        text += f"- request: {value(item['request'])}\n  response: {value(item['response'])}\n"
        if "repeat" in item:
            text += f"  repeat: {value(item['repeat'])}\n"
    return text


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # shared objects written out each time, as a person would


def _yaml(doc: Any) -> str:
    return str(yaml.dump(doc, Dumper=_Dumper, allow_unicode=True))


def _set(doc: Any, path: tuple[Any, ...], new: Any) -> Any:
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return doc


_DATE = __import__("datetime").date(2026, 1, 1)
FIELD_CASES: list[tuple[tuple[Any, ...], Any, str]] = [
    (("format",), True, "field 'format' must be an integer, got True"),
    (("format",), "1", "field 'format' must be an integer, got '1'"),
    (("format",), 1.0, "field 'format' must be an integer, got 1.0"),
    (("extra",), 1, "unknown field 'extra'"),
    (("meta",), [], "field 'meta' must be a mapping"),
    (("meta", "base_path"), 5, "field 'meta.base_path' must be a string, got 5"),
    (("meta", "sdk"), ["openai"], "field 'meta.sdk' must be a string, got ['openai']"),
    (("meta", "recorded_at"), _DATE, "field 'meta.recorded_at' holds a date"),
    (("meta", "extra"), {1: "x"}, "field 'meta.extra' has the key 1; JSON keys are strings"),
    (("meta", "extra"), float("nan"), "field 'meta.extra' is nan, which JSON cannot hold"),
    (("interactions",), {}, "field 'interactions' must be a list"),
    (("interactions", 0), "x", "interaction 1: expected a mapping"),
    (("interactions", 0, "replay"), 1, "interaction 1: unknown field 'replay'"),
    (("interactions", 1, "repeat"), True, "interaction 2: field 'repeat' must be a positive"),
    (("interactions", 1, "repeat"), "4", "interaction 2: field 'repeat' must be a positive"),
    (("interactions", 1, "repeat"), -1, "interaction 2: field 'repeat' must be a positive"),
    (("interactions", 0, "request"), None, "interaction 1: missing or invalid field 'request'"),
    (("interactions", 0, "request", "method"), 7, "request: field 'method' must be str, got 7"),
    (("interactions", 0, "request", "path"), None, "request: field 'path' must be str, got None"),
    (("interactions", 0, "request", "bdy"), {}, "interaction 1: request: unknown field 'bdy'"),
    (("interactions", 2, "request", "query", 0, 1), 5, "'query' must be a list of [name, value]"),
    (("interactions", 2, "request", "query", 0), ["order"], "'query' must be a list of [name"),
    (("interactions", 0, "request", "headers", "x"), 5, "'headers' must be a mapping of names"),
    (("interactions", 0, "request", "multipart"), "x", "'multipart' must be a list of mappings"),
    (("interactions", 0, "request", "text"), 5, "request: field 'text' must be a string"),
    (("interactions", 0, "request", "body", "when"), _DATE, "'request.body.when' holds a date"),
    (("interactions", 0, "request", "body", "s"), {1, 2}, "'request.body.s' holds a set"),
    (("interactions", 0, "response", "body", "b"), b"\x00", "'response.body.b' holds a binary"),
    (("interactions", 0, "response", "status"), True, "field 'status' must be int, got True"),
    (("interactions", 0, "response", "status"), 1000, "'status' must be an HTTP status"),
    (("interactions", 3, "response", "events", 0), {"data": 1}, "must be a list of events"),
    (("interactions", 3, "response", "events", 0, "event"), 5, "must be a list of events"),
    (("interactions", 0, "response", "base64"), "!!", "response: field 'base64' is not base64"),
]


@pytest.mark.parametrize(("path", "new", "expected"), FIELD_CASES)
def test_every_field_is_checked_with_one_line_naming_it(
    tmp_path: Path, path: tuple[Any, ...], new: Any, expected: str
) -> None:
    doc = _set(_document(), path, new)
    spellings = [_yaml(doc)]
    with contextlib.suppress(ValueError):  # not JSON: only YAML can spell it
        spellings.append(_own_layout(doc))
    for text in spellings:
        assert expected in _error(text, tmp_path)


_any_value = st.recursive(
    _scalars | st.dates() | st.binary(max_size=4) | st.just(float("nan")),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_edit_of_any_field_loads_or_is_one_line(data: st.DataObject) -> None:
    from harness.invariants import check
    from harness.transcript import transcript

    doc = _document()
    path = data.draw(st.sampled_from(_paths(doc)), label="field")
    doc = _set(doc, path, data.draw(_any_value, label="value"))
    text = _yaml(doc)
    try:
        cassette = loads(text, "edited.yaml")
    except CassetteFormatError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("edited.yaml:"), str(exc)
        return
    # what loads is whole: it writes, reads back the same, and makes a checked transcript
    assert loads(dumps(cassette)) == cassette
    transcript(cassette).to_data(detail=True)
    check(cassette)


def _read_every_response_later(text: str, source: str) -> Cassette:
    """The cassette as replay loads it (responses read later), then every response read."""
    cassette = loads(text, source, responses_later=True)
    for interaction in cassette.interactions:
        _ = interaction.response
    return cassette


@pytest.mark.parametrize("read", [loads, _read_every_response_later], ids=["at once", "later"])
@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_corruption_of_the_text_loads_or_is_one_line(
    read: Callable[[str, str], Cassette], data: st.DataObject
) -> None:
    text = dumps(_realistic(1))
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        start = data.draw(st.integers(0, len(text)), label="at")
        end = data.draw(st.integers(start, min(len(text), start + 40)), label="to")
        new = data.draw(st.text(alphabet='#:\n -[]{}"&*!|>\\0aé\t\x00', max_size=6), label="new")
        text = text[:start] + new + text[end:]
    try:
        cassette = read(text, "corrupt.yaml")
    except CassetteFormatError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("corrupt.yaml:"), str(exc)
    else:
        assert loads(dumps(cassette)) == cassette


@pytest.mark.parametrize("spelling", ["own layout", "own layout, value on one line", "yaml"])
def test_a_value_nested_deeper_than_any_api_object_is_one_line(spelling: str) -> None:
    import yaml

    from harness.cassette.model import Cassette, Interaction, Request, Response
    from harness.errors import CassetteFormatError

    def nested(depth: int) -> Any:
        value: Any = "x"
        for _ in range(depth):
            value = [value]
        return value

    def text(depth: int) -> str:
        one_line = spelling.endswith("on one line")  # hand-written: no indentation shows depth
        metadata = "PLACE" if one_line else nested(depth)
        request = Request("POST", "/threads", body={"metadata": metadata})
        cassette = Cassette(meta={}, interactions=[Interaction(request, Response(200, body={}))])
        written = dumps(cassette)
        if spelling == "yaml":
            return yaml.safe_dump(yaml.safe_load(written))
        return written.replace('"PLACE"', json.dumps(nested(depth))) if one_line else written

    assert loads(text(50), "ok.yaml").interactions
    deep = 300 if spelling.endswith("on one line") else 200  # past what orjson writes back
    with pytest.raises(CassetteFormatError, match=r"^deep.yaml.* nests more than 100 levels"):
        loads(text(deep), "deep.yaml")
