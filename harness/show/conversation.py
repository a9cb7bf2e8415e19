"""The conversation a trace page draws as chat bubbles: the one place that reads an API's
conversation out of a cassette (`conversation_of`), so another reader (`harness.parity`'s
view common to both APIs) can replace it without touching the page.

Items, in the order a reader follows them: `message` (role, text, citations), `tool_call`
(function arguments and output, code interpreter code and outputs, file search results) and
`run` (a run's or response's status path, where it ended). `files` names the files citations
and images point at; an image whose bytes the cassette holds is given as a data URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from harness import api
from harness.cassette.model import Cassette
from harness.transcript import Message, RunTimeline, ToolCall, Transcript

JSON = Any
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def conversation_of(
    cassette: Cassette, built: Transcript, matched: Sequence[api.Match | None] | None = None
) -> dict[str, JSON]:
    """The conversation `cassette` records (`built` is its transcript; `matched` the operation
    of each interaction, when known)."""
    if matched is None:
        matched = [api.match(i.request.method, i.request.path) for i in cassette.interactions]
    items = list(_assistants(built))
    if any(found is not None and found.operation.api == "responses" for found in matched):
        items += _responses(cassette, matched)
    return {"items": items, "files": _files(cassette, built, matched)}


# --- Assistants: messages from the transcript, a run's calls before its answer ----------


def _assistants(built: Transcript) -> Iterator[dict[str, JSON]]:
    messages = sorted(built.messages, key=lambda m: (m.created or 0, m.run is not None, m.where))
    placed: list[dict[str, JSON]] = [_message(m) for m in messages]
    for run in built.runs:
        block = [_run(run), *(_call(c, run.id, w) for c, w in _calls(run))]
        first_answer = next(
            (
                n
                for n, item in enumerate(placed)
                if item.get("run") == run.id and item["type"] == "message"
            ),
            None,
        )
        if first_answer is None:  # no answer: after the messages written before the run began
            start = run.events[0].where if run.events else 0
            first_answer = len(
                [item for item in placed if item["type"] != "message" or item["where"] <= start]
            )
        placed[first_answer:first_answer] = block
    yield from placed


def _message(message: Message) -> dict[str, JSON]:
    return {
        "type": "message",
        "id": message.id,
        "role": message.role,
        "thread": message.thread,
        "run": message.run,
        "status": message.status,
        "text": message.text,
        "annotations": [dict(a) for a in message.annotations],
        "where": message.where,
    }


def _run(run: RunTimeline) -> dict[str, JSON]:
    return {
        "type": "run",
        "id": run.id,
        "thread": run.thread,
        "statuses": [s.status for s in run.statuses],
        "last_error": dict(run.last_error) if run.last_error else None,
        "incomplete": run.incomplete,
        "where": run.events[0].where if run.events else 0,
    }


def _calls(run: RunTimeline) -> Iterator[tuple[ToolCall, int]]:
    """The run's tool calls: from its listed steps when the app listed them, else from the
    `requires_action` it answered (with the outputs it submitted)."""
    seen: set[str] = set()
    for step in run.steps:
        for call in step.tool_calls:
            seen.add(call.id)
            yield call, step.where
    outputs = {c: o for s in run.submissions for c, o in s.outputs}
    status_at = [e.where for e in run.events if e.status == "requires_action"]
    for n, calls in enumerate(run.required_actions):
        for call in calls:
            if call.id in seen:
                continue
            seen.add(call.id)
            data = dict(call.data)
            if call.id in outputs:
                data["output"] = outputs[call.id]
            where = status_at[n] if n < len(status_at) else 0
            yield ToolCall(call.id, call.type, data), where


def _call(call: ToolCall, run: str | None, where: int) -> dict[str, JSON]:
    item: dict[str, JSON] = {
        "type": "tool_call",
        "id": call.id,
        "kind": call.type,
        "run": run,
        "where": where,
    }
    data = dict(call.data)
    if call.type == "function":
        item["name"] = data.get("name")
        item["arguments"] = _pretty(data.get("arguments"))
        if "output" in data:
            item["output"] = _pretty(data["output"])
    elif call.type == "code_interpreter":
        item["name"] = "code_interpreter"
        item["input"] = data.get("input")
        item["outputs"] = data.get("outputs") or []
    else:
        item["name"] = call.type
        item["arguments"] = _pretty({k: v for k, v in data.items() if k != "name"})
    return item


def _pretty(value: JSON) -> str:
    return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)


def _files(
    cassette: Cassette, built: Transcript, matched: Sequence[api.Match | None]
) -> dict[str, dict[str, JSON]]:
    """Files by alias: their name, the interaction that uploaded them, their image if held."""
    files: dict[str, dict[str, JSON]] = {}
    for resource in built.resources:
        if resource.kind == "file":
            files[resource.id] = {"filename": resource.info.get("filename")}
    for where, (interaction, found) in enumerate(
        zip(cassette.interactions, matched, strict=True), 1
    ):
        response = interaction.response
        if found is None:
            continue
        file_id = found.params.get("file_id")
        alias = built.aliases.get(file_id or "", file_id)
        if found.name == "create_file" and isinstance(response.body, dict):
            alias = built.aliases.get(str(response.body.get("id")))
            if alias:
                files.setdefault(alias, {})["where"] = where
        elif found.name == "download_file" and alias and response.base64:
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind in _IMAGE_TYPES:
                files.setdefault(alias, {})["image"] = f"data:{kind};base64,{response.base64}"
    return files


# --- Responses and Conversations: inputs and outputs as recorded -----------------------


def _responses(
    cassette: Cassette, matched: Sequence[api.Match | None]
) -> Iterator[dict[str, JSON]]:
    """Each created response's input (the user's turn, tool outputs) and output items."""
    for where, (interaction, found) in enumerate(
        zip(cassette.interactions, matched, strict=True), 1
    ):
        request, response = interaction.request, interaction.response
        if found is None or found.name != "create_response" or not isinstance(request.body, dict):
            continue
        yield from _inputs(request.body.get("input"), where)
        body = response.body if isinstance(response.body, dict) else _streamed(response.events)
        if not body:
            continue
        for item in body.get("output") or []:
            if isinstance(item, dict):
                yield from _output(item, where)
        yield {
            "type": "run",
            "id": body.get("id"),
            "thread": _conversation_id(body),
            "statuses": [body["status"]] if body.get("status") else [],
            "last_error": body.get("error"),
            "incomplete": (body.get("incomplete_details") or {}).get("reason"),
            "where": where,
        }


def _streamed(events: Any) -> dict[str, JSON]:
    last: dict[str, JSON] = {}
    for event in events or ():
        data = event.get("data") if isinstance(event, dict) else None
        if isinstance(data, dict) and isinstance(data.get("response"), dict):
            last = data["response"]
    return last


def _conversation_id(body: dict[str, JSON]) -> JSON:
    conversation = body.get("conversation")
    return conversation.get("id") if isinstance(conversation, dict) else conversation


def _inputs(value: JSON, where: int) -> Iterator[dict[str, JSON]]:
    if isinstance(value, str):
        yield _said("user", value, where)
        return
    for item in value if isinstance(value, list) else ():
        if not isinstance(item, dict):
            continue
        if item.get("type") == "function_call_output":
            yield {
                "type": "tool_call",
                "id": item.get("call_id"),
                "kind": "function_call_output",
                "name": "output",
                "output": _pretty(item.get("output")),
                "where": where,
            }
        elif item.get("role"):
            yield _said(str(item["role"]), _content_text(item.get("content")), where)


def _output(item: dict[str, JSON], where: int) -> Iterator[dict[str, JSON]]:
    kind = item.get("type")
    if kind == "message":
        yield {**_said(str(item.get("role")), _content_text(item.get("content")), where)}
    elif kind == "function_call":
        yield {
            "type": "tool_call",
            "id": item.get("call_id"),
            "kind": "function",
            "name": item.get("name"),
            "arguments": _pretty(_parsed(item.get("arguments"))),
            "where": where,
        }
    elif kind == "code_interpreter_call":
        yield {
            "type": "tool_call",
            "id": item.get("id"),
            "kind": "code_interpreter",
            "name": "code_interpreter",
            "input": item.get("code"),
            "outputs": item.get("outputs") or [],
            "where": where,
        }
    elif isinstance(kind, str) and kind != "reasoning":
        yield {
            "type": "tool_call",
            "id": item.get("id"),
            "kind": kind,
            "name": kind,
            "arguments": _pretty({k: v for k, v in item.items() if k not in ("id", "type")}),
            "where": where,
        }


def _said(role: str, text: str, where: int) -> dict[str, JSON]:
    return {"type": "message", "role": role, "text": text, "annotations": [], "where": where}


def _content_text(content: JSON) -> str:
    if isinstance(content, str):
        return content
    parts = [p for p in content if isinstance(p, dict)] if isinstance(content, list) else []
    return "\n".join(str(p.get("text") or p.get("refusal") or "") for p in parts)


def _parsed(text: JSON) -> JSON:
    if isinstance(text, str):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text
