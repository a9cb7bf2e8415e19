"""A small Responses API cassette written by hand (a function call answered, then a streamed
reply), for the trace page tests: the page reads any cassette, not only Assistants traffic."""

from __future__ import annotations

from harness.cassette.model import Cassette, Interaction, Request, Response

QUESTION = "What's the weather in Paris?"
ANSWER = "It is 18 °C and sunny in Paris."
ARGUMENTS = '{"city": "Paris"}'
OUTPUT = '{"temperature": 18, "sky": "sunny"}'


def _response(rid: str, status: str, output: list[dict[str, object]]) -> dict[str, object]:
    return {"id": rid, "object": "response", "status": status, "output": output, "error": None}


def responses_cassette() -> Cassette:
    call = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_w1",
        "name": "get_weather",
        "arguments": ARGUMENTS,
        "status": "completed",
    }
    first = Interaction(
        Request("POST", "/responses", body={"model": "gpt-4o", "input": QUESTION}),
        Response(200, body=_response("resp_1", "completed", [call])),
    )
    message = {
        "type": "message",
        "id": "msg_r1",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": ANSWER, "annotations": []}],
    }
    events = (
        {"event": "response.created", "data": {"response": _response("resp_2", "queued", [])}},
        {
            "event": "response.in_progress",
            "data": {"response": _response("resp_2", "in_progress", [])},
        },
        {"event": "response.output_text.delta", "data": {"delta": "It is"}},
        {"event": "response.output_text.delta", "data": {"delta": " 18 °C"}},
        {
            "event": "response.completed",
            "data": {"response": _response("resp_2", "completed", [message])},
        },
    )
    second = Interaction(
        Request(
            "POST",
            "/responses",
            body={
                "model": "gpt-4o",
                "stream": True,
                "previous_response_id": "resp_1",
                "input": [{"type": "function_call_output", "call_id": "call_w1", "output": OUTPUT}],
            },
        ),
        Response(200, events=events),
    )
    poll = Interaction(
        Request("GET", "/responses/resp_2"),
        Response(200, body=_response("resp_2", "completed", [message])),
        repeat=2,
    )
    return Cassette(
        meta={"backend": "live", "base_path": "/v1"}, interactions=[first, second, poll]
    )
