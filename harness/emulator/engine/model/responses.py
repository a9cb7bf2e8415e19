"""The model brain answering a response: one Chat Completions answer per response.

The Responses API leaves the function-call loop to the app, so a response is
one answer of the model: its text becomes the message, its function calls the
response's `function_call` items (with the model's call ids), and the next
response, whose input carries the outputs, asks again. The conversation sent
is the response's instructions, then its history and input as chat messages
(function calls as the assistant's `tool_calls`, their outputs as `tool`
messages). An endpoint error fails the response; `finish_reason: length` makes
it `incomplete`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

from harness.emulator.backend.response_objects import item_text
from harness.emulator.backend.store import Obj, ResponseRecord
from harness.emulator.engine.model import client
from harness.emulator.engine.model.answer import Answer
from harness.emulator.engine.model.settings import ModelSettings, allowed_key_env, key_env_refusal
from harness.emulator.engine.script import Action, FunctionCall

ASK_MODEL = "ask_model"
"""The action standing for "what the model answers now" in a response's plan."""


def endpoint_for(settings: ModelSettings, streaming: bool) -> client.Endpoint | Action:
    """The model's endpoint with its key, or the `fail` action saying the key is missing or
    its variable is not one a brain may name."""
    headers = [
        ("Accept", "text/event-stream" if streaming else "application/json"),
        ("User-Agent", "pytest-assistants-harness emulator"),
    ]
    name = settings.api_key_env
    if name and not allowed_key_env(name):
        return Action("fail", text=key_env_refusal("model.api_key_env"))
    key = os.environ.get(name) if name else None
    if name and not key:
        return Action(
            "fail",
            # The name is not echoed: a key pasted where its name belongs would land in the
            # run's error and so in the cassette.
            text="The model brain's key is read from the variable named by "
            "model.api_key_env, which is not set.",
        )
    if key:
        headers.append(("Authorization", f"Bearer {key}"))
    return client.Endpoint(settings.url, tuple(headers), settings.timeout, key, settings.api)


def chat_messages(rec: ResponseRecord) -> list[Obj]:
    """The response's conversation as Chat Completions messages."""
    out: list[Obj] = []
    if rec.obj.get("instructions"):
        out.append({"role": "system", "content": rec.obj["instructions"]})
    for item in rec.history + rec.input:
        kind = item.get("type")
        if kind == "message":
            out.append({"role": item["role"], "content": item_text(item)})
        elif kind == "function_call":
            call = {
                "id": item["call_id"],
                "type": "function",
                "function": {"name": item["name"], "arguments": item["arguments"]},
            }
            last = out[-1] if out else None
            if last is not None and last["role"] == "assistant" and "tool_calls" in last:
                last["tool_calls"].append(call)
            else:
                out.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item["output"]
            text = output if isinstance(output, str) else json.dumps(output)
            out.append({"role": "tool", "tool_call_id": item["call_id"], "content": text})
    return out


def request_body(settings: ModelSettings, rec: ResponseRecord) -> Obj:
    body: Obj = {"model": settings.model, "messages": chat_messages(rec)}
    tools = [
        {
            "type": "function",
            "function": {
                "name": t["name"],
                "description": t.get("description") or "",
                "parameters": t.get("parameters") or {"type": "object", "properties": {}},
            },
        }
        for t in rec.obj["tools"]
        if t["type"] == "function"
    ]
    if tools:
        body["tools"] = tools
        choice = rec.obj["tool_choice"]
        if isinstance(choice, dict) and choice.get("type") == "function":
            choice = {"type": "function", "function": {"name": choice["name"]}}
        if choice in ("auto", "none", "required") or isinstance(choice, dict):
            body["tool_choice"] = choice
        body["parallel_tool_calls"] = rec.obj["parallel_tool_calls"]
    fmt = (rec.obj.get("text") or {}).get("format") or {}
    if fmt.get("type") == "json_schema":
        spec = {"name": fmt.get("name") or "answer", "schema": fmt.get("schema") or {}}
        if fmt.get("strict") is not None:
            spec["strict"] = fmt["strict"]
        body["response_format"] = {"type": "json_schema", "json_schema": spec}
    elif fmt.get("type") == "json_object":
        body["response_format"] = {"type": "json_object"}
    temperature = settings.temperature
    body["temperature"] = rec.obj["temperature"] if temperature is None else temperature
    if settings.seed is not None:
        body["seed"] = settings.seed
    if rec.obj.get("max_output_tokens") is not None:
        body["max_completion_tokens"] = rec.obj["max_output_tokens"]
    return body


async def answer(
    settings: ModelSettings, rec: ResponseRecord, shown: Callable[[str], None] | None = None
) -> tuple[Action, ...]:
    """What the model does in this response, as the actions a rule would give. With `shown`,
    the model is asked to stream and each piece of its text goes to `shown` as it arrives
    (the `reply_text` action then carries the whole text)."""
    endpoint = endpoint_for(settings, streaming=shown is not None)
    if isinstance(endpoint, Action):
        return (endpoint,)
    request = request_body(settings, rec)
    got = Answer()
    try:
        if shown is None:
            got.feed(await client.complete(endpoint, request))
        else:
            request["stream"] = True
            request["stream_options"] = {"include_usage": True}
            async for data in client.stream(endpoint, request):
                piece = got.feed(data)
                if piece:
                    shown(piece)
    except client.EndpointError as exc:
        return (Action("fail", text=str(exc), code=exc.code),)
    if got.finish is None and not (got.text or got.refusal or got.calls):
        return (Action("fail", text=f"The model endpoint at {endpoint.host} gave no answer."),)
    calls = tuple(
        FunctionCall(c.name, c.arguments or "{}", id=c.id or None) for c in got.tool_calls()
    )
    text = got.text or got.refusal
    actions = [Action("reply_text", text=text)] if text or not calls else []
    if calls:  # the response whose input answers them asks the model again
        actions += [Action("call", calls=calls), Action(ASK_MODEL)]
    elif got.finish == "length":
        actions.append(Action("incomplete", text="max_output_tokens"))
    return tuple(actions)
