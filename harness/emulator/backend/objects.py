"""Builders for the API's objects, with every field the real API sends.

Each function takes already-validated request fields and returns the JSON
dict as the emulator stores it; defaults (temperature 1.0, `response_format:
"auto"`, `reasoning_effort: null`, normalised tool definitions and
`tool_resources`) follow what the real API answered. Where the real API showed
an object differently over REST and in stream events, `rendering.py` renders the
stored object for each.
"""

from __future__ import annotations

import copy
from typing import Any

from harness.emulator.backend.clock import Clock
from harness.emulator.backend.store import Obj

DEFAULT_RANKING = {"ranker": "default_2024_08_21", "score_threshold": 0.0, "hybrid_search": None}
NO_PARAMETERS = {"type": "object", "properties": {}}


def normalize_tools(tools: list[Obj] | None) -> list[Obj]:
    """Tools as the API echoes them: file_search gets ranking options (with
    `hybrid_search: null`), functions get `strict` and, when defined without
    any, the empty `parameters` object."""
    out: list[Obj] = []
    for tool in tools or []:
        tool = copy.deepcopy(tool)
        if tool["type"] == "file_search":
            spec = tool.get("file_search") or {}
            given = spec.get("ranking_options") or {}
            ranking = {**DEFAULT_RANKING, **given}
            if ranking["ranker"] == "auto":
                ranking["ranker"] = DEFAULT_RANKING["ranker"]
            spec["ranking_options"] = ranking
            tool["file_search"] = spec
        elif tool["type"] == "function":
            fn = tool["function"]
            if fn.get("strict") is None:
                fn["strict"] = False
            if fn.get("parameters") is None:
                fn["parameters"] = copy.deepcopy(NO_PARAMETERS)
        out.append(tool)
    return out


def normalize_tool_resources(resources: Obj | None, tools: list[Obj] | None = None) -> Obj:
    """`tool_resources` holds a key per resource given, plus an empty one for each tool used."""
    out: Obj = {}
    resources = resources or {}
    kinds = {tool["type"] for tool in tools or []}
    code = resources.get("code_interpreter")
    if code is not None or "code_interpreter" in kinds:
        out["code_interpreter"] = {"file_ids": list((code or {}).get("file_ids") or [])}
    search = resources.get("file_search")
    if search is not None or "file_search" in kinds:
        out["file_search"] = {
            "vector_store_ids": list((search or {}).get("vector_store_ids") or [])
        }
    return out


def assistant(clock: Clock, body: Obj) -> Obj:
    tools = normalize_tools(body.get("tools"))
    return {
        "id": clock.new_id("asst_"),
        "object": "assistant",
        "created_at": clock.now(),
        "name": body.get("name"),
        "description": body.get("description"),
        "model": body["model"],
        "instructions": body.get("instructions"),
        "tools": tools,
        "tool_resources": normalize_tool_resources(body.get("tool_resources"), tools),
        "metadata": dict(body.get("metadata") or {}),
        "temperature": 1.0 if body.get("temperature") is None else body["temperature"],
        "top_p": 1.0 if body.get("top_p") is None else body["top_p"],
        "response_format": body.get("response_format") or "auto",
        "reasoning_effort": body.get("reasoning_effort"),
    }


def update_assistant(obj: Obj, body: Obj) -> None:
    for key in ("name", "description", "model", "instructions", "reasoning_effort"):
        if key in body:
            obj[key] = body[key]
    if "tools" in body:
        obj["tools"] = normalize_tools(body["tools"])
    if "tool_resources" in body or "tools" in body:
        merged = dict(obj["tool_resources"])
        merged.update(body.get("tool_resources") or {})
        obj["tool_resources"] = normalize_tool_resources(merged, obj["tools"])
    if "metadata" in body:
        obj["metadata"] = dict(body["metadata"] or {})
    for key, default in (("temperature", 1.0), ("top_p", 1.0), ("response_format", "auto")):
        if key in body:
            obj[key] = default if body[key] is None else body[key]


def thread(clock: Clock, metadata: Obj | None, tool_resources: Obj) -> Obj:
    return {
        "id": clock.new_id("thread_"),
        "object": "thread",
        "created_at": clock.now(),
        "metadata": dict(metadata or {}),
        "tool_resources": tool_resources,
    }


def content_parts(content: str | list[Obj]) -> list[Obj]:
    """Request content (a string or parts) as stored message content."""
    if isinstance(content, str):
        return [{"type": "text", "text": {"value": content, "annotations": []}}]
    parts: list[Obj] = []
    for part in content:
        if part["type"] == "text":
            parts.append({"type": "text", "text": {"value": part["text"], "annotations": []}})
        elif part["type"] == "image_file":
            image = dict(part["image_file"])
            image.setdefault("detail", "auto")
            parts.append({"type": "image_file", "image_file": image})
        else:
            image = dict(part["image_url"])
            image.setdefault("detail", "auto")
            parts.append({"type": "image_url", "image_url": image})
    return parts


def message(
    clock: Clock,
    thread_id: str,
    role: str,
    content: list[Obj],
    *,
    attachments: list[Obj] | None = None,
    metadata: Obj | None = None,
    assistant_id: str | None = None,
    run_id: str | None = None,
    status: str = "completed",
) -> Obj:
    """A message as stored and streamed: with `status` and its stamps, which REST reads
    leave out (`rendering.rest_message`)."""
    created = clock.now()
    return {
        "id": clock.new_id("msg_"),
        "object": "thread.message",
        "created_at": created,
        "thread_id": thread_id,
        "status": status,
        "incomplete_details": None,
        "completed_at": created if status == "completed" else None,
        "incomplete_at": None,
        "role": role,
        "content": content,
        "assistant_id": assistant_id,
        "run_id": run_id,
        "attachments": [dict(a) for a in attachments or []],
        "metadata": dict(metadata or {}),
    }


def message_text(msg: Obj) -> str:
    return "\n".join(p["text"]["value"] for p in msg["content"] if p["type"] == "text")


def run(
    clock: Clock,
    thread_id: str,
    asst: Obj,
    body: Obj,
    *,
    expires_in: float,
) -> Obj:
    created = clock.now()
    instructions = body.get("instructions")
    if instructions is None:
        instructions = asst.get("instructions")  # null when neither has any, as the API sent
    extra = body.get("additional_instructions")
    if extra:
        instructions = f"{instructions}\n{extra}" if instructions else extra
    tools = normalize_tools(body["tools"]) if body.get("tools") is not None else asst["tools"]
    truncation = body.get("truncation_strategy") or {"type": "auto"}
    return {
        "id": clock.new_id("run_"),
        "object": "thread.run",
        "created_at": created,
        "thread_id": thread_id,
        "assistant_id": asst["id"],
        "status": "queued",
        "required_action": None,
        "last_error": None,
        "expires_at": created + max(1, int(-(-expires_in // 1))),
        "started_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "incomplete_details": None,
        "model": body.get("model") or asst["model"],
        "instructions": instructions,
        "tools": copy.deepcopy(tools),
        "tool_resources": {},
        "metadata": dict(body.get("metadata") or {}),
        "usage": None,
        "temperature": asst["temperature"]
        if body.get("temperature") is None
        else body["temperature"],
        "top_p": asst["top_p"] if body.get("top_p") is None else body["top_p"],
        "max_prompt_tokens": body.get("max_prompt_tokens"),
        "max_completion_tokens": body.get("max_completion_tokens"),
        "truncation_strategy": {
            "type": truncation["type"],
            "last_messages": truncation.get("last_messages"),
        },
        "response_format": body.get("response_format") or asst.get("response_format") or "auto",
        "tool_choice": body.get("tool_choice") or "auto",
        "parallel_tool_calls": True
        if body.get("parallel_tool_calls") is None
        else body["parallel_tool_calls"],
        "reasoning_effort": asst.get("reasoning_effort")
        if body.get("reasoning_effort") is None
        else body["reasoning_effort"],
    }


def usage(prompt_tokens: int, completion_tokens: int) -> Obj:
    """A run's or a step's `usage`: the real API sent the token details on both."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_token_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def step(clock: Clock, run_obj: Obj, step_type: str, details: Obj) -> Obj:
    """A run step as streamed: `expires_at` is the run's (REST reads show null; see
    `rendering.py`); the real API sent no `metadata` and no `expired_at` on steps."""
    return {
        "id": clock.new_id("step_"),
        "object": "thread.run.step",
        "created_at": clock.now(),
        "run_id": run_obj["id"],
        "assistant_id": run_obj["assistant_id"],
        "thread_id": run_obj["thread_id"],
        "type": step_type,
        "status": "in_progress",
        "cancelled_at": None,
        "completed_at": None,
        "expires_at": run_obj["expires_at"],
        "failed_at": None,
        "last_error": None,
        "step_details": details,
        "usage": None,
    }


def file(clock: Clock, filename: str, size: int, purpose: str, expires_at: int | None) -> Obj:
    # The spec makes `expires_at` and `status_details` optional and not nullable; the
    # real API sent both, as null when unset.
    return {
        "id": clock.new_id("file-"),
        "object": "file",
        "bytes": size,
        "created_at": clock.now(),
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
        "expires_at": expires_at,
        "status_details": None,
    }


def file_counts() -> Obj:
    return {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0, "total": 0}


def vector_store(clock: Clock, body: Obj) -> Obj:
    created = clock.now()
    expires_after = body.get("expires_after")
    obj: Obj = {
        "id": clock.new_id("vs_"),
        "object": "vector_store",
        "created_at": created,
        "name": body.get("name") or "",
        "usage_bytes": 0,
        "file_counts": file_counts(),
        "status": "completed",
        "expires_at": created + expires_after["days"] * 86400 if expires_after else None,
        "last_active_at": created,
        "metadata": dict(body.get("metadata") or {}),
    }
    if expires_after:  # optional in the spec, and not nullable
        obj["expires_after"] = expires_after
    return obj


def chunking_strategy(requested: Obj | None) -> Obj:
    """The stored (response) form of a chunking strategy: always `static`."""
    static = (requested or {}).get("static") or {}
    return {
        "type": "static",
        "static": {
            "max_chunk_size_tokens": static.get("max_chunk_size_tokens", 800),
            "chunk_overlap_tokens": static.get("chunk_overlap_tokens", 400),
        },
    }


def vector_store_file(
    clock: Clock, vector_store_id: str, file_id: str, strategy: Obj, attributes: Any
) -> Obj:
    return {
        "id": file_id,
        "object": "vector_store.file",
        "created_at": clock.now(),
        "vector_store_id": vector_store_id,
        "usage_bytes": 0,
        "status": "in_progress",
        "last_error": None,
        "chunking_strategy": strategy,
        "attributes": dict(attributes or {}),
    }


def file_batch(clock: Clock, vector_store_id: str, total: int) -> Obj:
    counts = file_counts()
    counts["in_progress"] = counts["total"] = total
    return {
        "id": clock.new_id("vsfb_"),
        "object": "vector_store.files_batch",
        "created_at": clock.now(),
        "vector_store_id": vector_store_id,
        "status": "in_progress",
        "file_counts": counts,
    }


def deleted(object_id: str, kind: str) -> Obj:
    return {"id": object_id, "object": kind, "deleted": True}
