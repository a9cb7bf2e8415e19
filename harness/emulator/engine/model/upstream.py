"""A Responses API endpoint upstream (`model: {api: responses}`), spoken in Chat Completions terms.

The model brain builds Chat Completions requests and reads Chat Completions
answers (`request.py`, `answer.py`, `responses.py`). For an endpoint that
speaks the Responses API instead, `client.py` passes each request through
`request` and each answer through `completion` (a whole response) or
`Chunks.feed` (a stream's events), so the rest of the brain is the same for
both. The request is sent with `store: false`: the upstream keeps nothing, and
every request carries the whole conversation, as a Chat Completions one does.
Chat Completions' `seed` has no Responses counterpart and is not sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.emulator.errors import EmulatorError

Obj = dict[str, Any]
CHAT_COMPLETIONS = "chat_completions"
RESPONSES = "responses"
MIN_OUTPUT_TOKENS = 16
"""The Responses API refuses a smaller `max_output_tokens`."""


class UpstreamFailed(EmulatorError):
    """The upstream response failed (`response.failed`, an `error` event); the message is
    the endpoint's own, which `client.py` cleans of the key before quoting it."""


def request(chat: Obj) -> Obj:
    """A Chat Completions request body as a Responses request body."""
    out: Obj = {"model": chat["model"], "input": [], "store": False}
    instructions: list[str] = []
    for message in chat.get("messages") or []:
        role = message.get("role")
        if role in ("system", "developer") and not out["input"]:
            instructions.append(_text(message.get("content")))
        elif role == "tool":
            out["input"].append(
                {
                    "type": "function_call_output",
                    "call_id": message["tool_call_id"],
                    "output": _text(message.get("content")),
                }
            )
        elif role == "assistant":
            if message.get("content"):
                text = _text(message["content"])
                out["input"].append({"type": "message", "role": "assistant", "content": text})
            for call in message.get("tool_calls") or []:
                fn = call["function"]
                out["input"].append(
                    {
                        "type": "function_call",
                        "call_id": call["id"],
                        "name": fn["name"],
                        "arguments": fn.get("arguments") or "{}",
                    }
                )
        else:
            content = message.get("content")
            parts = content if isinstance(content, list) else None
            given = [_part(p) for p in parts] if parts is not None else _text(content)
            out["input"].append({"type": "message", "role": role, "content": given})
    if instructions:
        out["instructions"] = "\n\n".join(instructions)
    if chat.get("tools"):
        out["tools"] = [_tool(t["function"]) for t in chat["tools"]]
    choice = chat.get("tool_choice")
    if isinstance(choice, dict):
        out["tool_choice"] = {"type": "function", "name": choice["function"]["name"]}
    elif choice is not None:
        out["tool_choice"] = choice
    for key in ("parallel_tool_calls", "temperature", "top_p", "stream"):
        if chat.get(key) is not None:
            out[key] = chat[key]
    budget = chat.get("max_completion_tokens")
    if budget is not None:
        out["max_output_tokens"] = max(MIN_OUTPUT_TOKENS, int(budget))
    fmt = chat.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema") or {}
        out["text"] = {"format": {"type": "json_schema", **spec}}
    elif isinstance(fmt, dict) and fmt.get("type") == "json_object":
        out["text"] = {"format": {"type": "json_object"}}
    return out


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(str(p.get("text") or "") for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def _part(part: Obj) -> Obj:
    if part.get("type") == "image_url":
        image = part.get("image_url") or {}
        return {
            "type": "input_image",
            "image_url": image.get("url"),
            "detail": image.get("detail") or "auto",
        }
    return {"type": "input_text", "text": str(part.get("text") or "")}


def _tool(fn: Obj) -> Obj:
    # The Responses API makes a function strict unless told otherwise; Chat Completions
    # does not, and a schema written for it may not be strict-compatible.
    return {
        "type": "function",
        "name": fn["name"],
        "description": fn.get("description") or "",
        "parameters": fn.get("parameters") or {"type": "object", "properties": {}},
        "strict": bool(fn.get("strict", False)),
    }


# answers -------------------------------------------------------------------


def completion(response: Obj) -> Obj:
    """A whole Responses response as a Chat Completions completion."""
    _check(response)
    text, refusal, calls = "", "", []
    for item in response.get("output") or []:
        if item.get("type") == "message":
            for part in item.get("content") or []:
                if part.get("type") == "output_text":
                    text += str(part.get("text") or "")
                elif part.get("type") == "refusal":
                    refusal += str(part.get("refusal") or "")
        elif item.get("type") == "function_call":
            calls.append(
                {
                    "id": item.get("call_id"),
                    "type": "function",
                    "function": {"name": item.get("name"), "arguments": item.get("arguments")},
                }
            )
    message: Obj = {"role": "assistant", "content": text or None, "refusal": refusal or None}
    if calls:
        message["tool_calls"] = calls
    choice = {"index": 0, "message": message, "finish_reason": _finish(response, bool(calls))}
    return {"object": "chat.completion", "choices": [choice], "usage": _usage(response)}


def _check(response: Obj) -> None:
    if response.get("status") == "failed" or response.get("error"):
        error = response.get("error") or {}
        raise UpstreamFailed(str(error.get("message") or "the response failed"))


def _finish(response: Obj, called: bool) -> str:
    if response.get("status") == "incomplete":
        reason = (response.get("incomplete_details") or {}).get("reason")
        return "content_filter" if reason == "content_filter" else "length"
    return "tool_calls" if called else "stop"


def _usage(response: Obj) -> Obj | None:
    usage = response.get("usage")
    if not isinstance(usage, dict):
        return None
    prompt, answer = int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)
    return {"prompt_tokens": prompt, "completion_tokens": answer, "total_tokens": prompt + answer}


def _chunk(delta: Obj, finish: str | None = None) -> Obj:
    return {
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


@dataclass
class Chunks:
    """A Responses stream's events as Chat Completions chunks, event by event."""

    calls: dict[int, int] = field(default_factory=dict)
    """The call's index among the answer's calls, by its item's `output_index`."""
    sent: dict[int, str] = field(default_factory=dict)
    """The arguments sent so far, by call index."""

    def feed(self, event: Obj) -> list[Obj]:
        kind = event.get("type")
        if kind == "response.output_text.delta":
            return [_chunk({"content": str(event.get("delta") or "")})]
        if kind == "response.refusal.delta":
            return [_chunk({"refusal": str(event.get("delta") or "")})]
        if kind in ("response.output_item.added", "response.output_item.done"):
            return self._item(event)
        if kind == "response.function_call_arguments.delta":
            index = self.calls.get(int(event.get("output_index") or 0))
            return [] if index is None else self._arguments(index, str(event.get("delta") or ""))
        if kind in ("response.completed", "response.incomplete", "response.failed"):
            response = event.get("response") or {}
            _check(response)
            finish = _finish(response, bool(self.calls))
            out = [_chunk({}, finish)]
            usage = _usage(response)
            if usage is not None:
                out.append({"object": "chat.completion.chunk", "choices": [], "usage": usage})
            return out
        if kind == "error":
            raise UpstreamFailed(str(event.get("message") or "the stream sent an error"))
        return []

    def _item(self, event: Obj) -> list[Obj]:
        item = event.get("item") or {}
        if item.get("type") != "function_call":
            return []
        position = int(event.get("output_index") or 0)
        out: list[Obj] = []
        index = self.calls.get(position)
        if index is None:
            index = self.calls[position] = len(self.calls)
            self.sent[index] = ""
            opened = {"name": item.get("name"), "arguments": ""}
            out.append(
                _chunk(
                    {
                        "tool_calls": [
                            {
                                "index": index,
                                "id": item.get("call_id"),
                                "type": "function",
                                "function": opened,
                            }
                        ]
                    }
                )
            )
        whole = str(item.get("arguments") or "")
        if event.get("type") == "response.output_item.done" and whole.startswith(self.sent[index]):
            out += self._arguments(index, whole[len(self.sent[index]) :])
        return out

    def _arguments(self, index: int, piece: str) -> list[Obj]:
        if not piece:
            return []
        self.sent[index] += piece
        return [_chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})]
