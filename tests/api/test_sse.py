"""The one SSE parser/renderer: what it renders parses back, whichever pieces the bytes come in."""

from __future__ import annotations

from harness.api import sse

EVENTS = (
    {"event": "response.created", "data": {"type": "response.created", "sequence_number": 0}},
    {"event": "thread.message.delta", "data": {"delta": {"content": "é 😀\nline"}}},
    {"event": None, "data": {"choices": []}},
    {"event": "done", "data": "[DONE]"},
)


def test_rendered_events_parse_back() -> None:
    body = sse.render(EVENTS)
    assert body.endswith(sse.DONE)
    assert sse.parse(body) == EVENTS


def _decoded(body: bytes, size: int) -> list[tuple[str | None, str]]:
    decoder = sse.Decoder()
    found = []
    for start in range(0, len(body), size):
        found += decoder.feed(body[start : start + size])
    return found + decoder.close()


def test_events_arriving_in_any_pieces_decode_the_same() -> None:
    body = sse.render(EVENTS).replace(b"\n", b"\r\n")
    whole = _decoded(body, len(body))
    assert [name for name, _ in whole] == [e["event"] for e in EVENTS]
    for size in (1, 2, 3, 7, 64):
        assert _decoded(body, size) == whole


def test_a_stream_cut_without_its_blank_line_keeps_its_last_event() -> None:
    assert sse.parse(b'event: a\ndata: {"x": 1}\n\n: comment\nevent: b\ndata: {"y": 2}') == (
        {"event": "a", "data": {"x": 1}},
        {"event": "b", "data": {"y": 2}},
    )
