"""Builders for the Responses and Conversations APIs' objects, with every field real ones carry.

A response is stored as the JSON dict the API sends; its output items, a
conversation's items and a response's input items are stored with their ids
(`msg_`, `fc_`, `fs_`, `ci_`, `rs_`) as the API lists them. Input given as a
string or as items with content as a string becomes the item form the API
shows (`input_text` parts).
"""

from __future__ import annotations

import copy
from typing import Any

from harness.emulator.backend.clock import Clock
from harness.emulator.backend.store import Obj
from harness.emulator.errors import ApiError, bad_request

DEFAULT_TEXT = {"format": {"type": "text"}, "verbosity": "medium"}
DEFAULT_RANKING = {"ranker": "auto", "score_threshold": 0.0}
CONTAINER_EXPIRY = {"anchor": "last_active_at", "minutes": 20}
WEB_SEARCH_TOOLS = (
    "web_search",
    "web_search_preview",
    "web_search_2025_08_26",
    "web_search_preview_2025_03_11",
)
HOSTED_TOOLS = (
    "web_search",
    "web_search_preview",
    "web_search_2025_08_26",
    "web_search_preview_2025_03_11",
    "image_generation",
    "computer_use_preview",
    "computer_use",
    "mcp",
    "local_shell",
    "shell",
    "apply_patch",
    "custom",
)
"""Tools the emulator cannot carry out itself."""


def not_found(kind: str, object_id: str) -> ApiError:
    """404 as the Responses API words it: "Response with id 'resp_x' not found."."""
    return ApiError(404, f"{kind} with id '{object_id}' not found.", param=None)


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def normalize_tools(tools: list[Obj] | None) -> list[Obj]:
    """Tools as a response echoes them: functions with `strict` and `description`, file
    search with its ranking options."""
    out: list[Obj] = []
    for tool in tools or []:
        tool = copy.deepcopy(tool)
        if tool["type"] == "function":
            tool.setdefault("description", None)
            tool["strict"] = _or(tool.get("strict"), True)
            tool["parameters"] = _or(tool.get("parameters"), {"type": "object", "properties": {}})
        elif tool["type"] == "file_search":
            tool["filters"] = tool.get("filters")
            tool["max_num_results"] = _or(tool.get("max_num_results"), 20)
            tool["ranking_options"] = {**DEFAULT_RANKING, **(tool.get("ranking_options") or {})}
        out.append(tool)
    return out


def response(clock: Clock, body: Obj, *, model: str) -> Obj:
    """A new response, `in_progress` (`queued` in the background), with nothing output yet."""
    text = copy.deepcopy(body.get("text") or {})
    text = {**DEFAULT_TEXT, **{k: v for k, v in text.items() if v is not None}}
    reasoning = body.get("reasoning") or {}
    conversation = body.get("conversation")
    return {
        "id": clock.new_id("resp_"),
        "object": "response",
        "created_at": clock.now(),
        "status": "queued" if body.get("background") else "in_progress",
        "background": bool(body.get("background")),
        "completed_at": None,
        "conversation": None if conversation is None else {"id": conversation},
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": model,
        "output": [],
        "parallel_tool_calls": _or(body.get("parallel_tool_calls"), True),
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "prompt_cache_retention": body.get("prompt_cache_retention"),
        "reasoning": {
            "effort": reasoning.get("effort"),
            "summary": reasoning.get("summary"),
        },
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": _or(body.get("service_tier"), "auto"),
        "store": _or(body.get("store"), True),
        "temperature": _or(body.get("temperature"), 1.0),
        "text": text,
        "tool_choice": _or(body.get("tool_choice"), "auto"),
        "tools": normalize_tools(body.get("tools")),
        "top_logprobs": _or(body.get("top_logprobs"), 0),
        "top_p": _or(body.get("top_p"), 1.0),
        "truncation": _or(body.get("truncation"), "disabled"),
        "usage": None,
        "user": body.get("user"),
        "metadata": dict(body.get("metadata") or {}),
        **({"prompt": body["prompt"]} if body.get("prompt") is not None else {}),
    }


def usage(input_tokens: int, output_tokens: int) -> Obj:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }


def deleted(object_id: str, kind: str) -> Obj:
    return {"id": object_id, "object": f"{kind}.deleted", "deleted": True}


# --- input items ----------------------------------------------------------------


def input_items(clock: Clock, given: Any, param: str = "input") -> list[Obj]:
    """The request's `input` (a string or items) as stored items, each with an id."""
    if given is None:
        return []
    if isinstance(given, str):
        given = [{"role": "user", "content": given}]
    return [input_item(clock, item, f"{param}[{i}]") for i, item in enumerate(given)]


def input_item(clock: Clock, item: Obj, where: str) -> Obj:
    kind = item.get("type") or "message"
    if kind == "message":
        role = item.get("role")
        if role not in ("user", "system", "developer", "assistant"):
            raise bad_request(
                f"Invalid value: '{role}'. Supported values are: 'assistant', 'system', "
                "'developer', and 'user'.",
                param=f"{where}.role",
                code="invalid_value",
            )
        return {
            "id": item.get("id") or clock.new_id("msg_"),
            "type": "message",
            "status": _or(item.get("status"), "completed"),
            "content": content_parts(item.get("content"), role),
            "role": role,
        }
    if kind == "function_call_output":
        output = item.get("output")
        return {
            "id": item.get("id") or clock.new_id("fc_"),
            "type": "function_call_output",
            "call_id": item.get("call_id"),
            "output": output if output is not None else "",
            "status": _or(item.get("status"), "completed"),
        }
    if kind == "item_reference":
        return {"id": item.get("id"), "type": "item_reference"}
    stored = copy.deepcopy(item)
    stored.setdefault("id", clock.new_id(_PREFIX.get(kind, "item_")))
    stored["id"] = stored["id"] or clock.new_id(_PREFIX.get(kind, "item_"))
    if kind in _PREFIX:
        stored.setdefault("status", "completed")
    return stored


_PREFIX = {
    "function_call": "fc_",
    "file_search_call": "fs_",
    "code_interpreter_call": "ci_",
    "reasoning": "rs_",
    "web_search_call": "ws_",
    "mcp_call": "mcp_",
}


def content_parts(content: Any, role: str) -> list[Obj]:
    """Message content as parts: a string is one text part (`output_text` for the assistant)."""
    kind = "output_text" if role == "assistant" else "input_text"
    if content is None:
        return []
    if isinstance(content, str):
        return [text_part(content) if kind == "output_text" else {"type": kind, "text": content}]
    out: list[Obj] = []
    for part in content:
        part = {k: v for k, v in part.items() if v is not None}
        if part.get("type") == "output_text":
            out.append(text_part(part.get("text", ""), part.get("annotations") or []))
        else:
            out.append(part)
    return out


def item_text(item: Obj) -> str:
    """The text of a message item (its text parts, joined)."""
    if item.get("type") != "message":
        return ""
    return "".join(
        p.get("text", "")
        for p in item.get("content") or []
        if p.get("type") in ("input_text", "output_text", "text")
    )


# --- output items ---------------------------------------------------------------


def text_part(text: str, annotations: list[Obj] | None = None) -> Obj:
    return {"type": "output_text", "annotations": annotations or [], "logprobs": [], "text": text}


def message_item(clock: Clock) -> Obj:
    return {
        "id": clock.new_id("msg_"),
        "type": "message",
        "status": "in_progress",
        "content": [],
        "role": "assistant",
    }


def function_call_item(clock: Clock, name: str, arguments: str, call_id: str | None) -> Obj:
    return {
        "id": clock.new_id("fc_"),
        "type": "function_call",
        "status": "completed",
        "arguments": arguments,
        "call_id": call_id or clock.new_id("call_"),
        "name": name,
    }


def file_search_item(clock: Clock, queries: list[str]) -> Obj:
    return {
        "id": clock.new_id("fs_"),
        "type": "file_search_call",
        "status": "in_progress",
        "queries": queries,
        "results": None,
    }


def code_item(clock: Clock, code: str, container_id: str) -> Obj:
    return {
        "id": clock.new_id("ci_"),
        "type": "code_interpreter_call",
        "status": "in_progress",
        "code": code,
        "container_id": container_id,
        "outputs": None,
    }


def reasoning_item(clock: Clock) -> Obj:
    return {"id": clock.new_id("rs_"), "type": "reasoning", "summary": []}


def shown(item: Obj, include: frozenset[str]) -> Obj:
    """An output item as a client sees it: results, outputs and logprobs only when asked."""
    # A shallow copy, changed only at the top and in its own parts: it is encoded before
    # the item changes again.
    out: Obj = dict(item)
    kind = out.get("type")
    if kind == "file_search_call" and "file_search_call.results" not in include:
        out["results"] = None
    elif kind == "code_interpreter_call" and "code_interpreter_call.outputs" not in include:
        out["outputs"] = None
    elif kind == "message" and "message.output_text.logprobs" not in include:
        out["content"] = [
            {**part, "logprobs": []} if part.get("type") == "output_text" else part
            for part in out["content"]
        ]
    return out


# --- conversations and containers -------------------------------------------------------


def conversation(clock: Clock, metadata: Obj | None) -> Obj:
    return {
        "id": clock.new_id("conv_"),
        "object": "conversation",
        "created_at": clock.now(),
        "metadata": dict(metadata or {}),
    }


def container(clock: Clock, name: str, expires_after: Obj | None = None) -> Obj:
    now = clock.now()
    return {
        "id": clock.new_id("cntr_"),
        "object": "container",
        "created_at": now,
        "status": "running",
        "expires_after": dict(expires_after or CONTAINER_EXPIRY),
        "last_active_at": now,
        "memory_limit": "1g",
        "name": name,
    }


def container_file(clock: Clock, container_id: str, path: str, size: int, source: str) -> Obj:
    return {
        "id": clock.new_id("cfile_"),
        "object": "container.file",
        "created_at": clock.now(),
        "bytes": size,
        "container_id": container_id,
        "path": path,
        "source": source,
    }
