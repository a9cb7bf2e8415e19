"""From a run to a Chat Completions request, the way the Assistants API put runs to models.

The run's instructions (the assistant's, or the run's `instructions`, plus
`additional_instructions`) become the system message; the thread's earlier
messages follow in order (text, and image parts as `image_url` parts, stored
image files as data URLs); the run's own answers and tool results follow as
the model gave them. Function tools go as given (`strict` kept);
code_interpreter and file_search go as two functions the model may call.
"""

from __future__ import annotations

import base64
import json
import mimetypes
from dataclasses import dataclass, field
from typing import Any

from harness.emulator.engine.model.settings import ModelSettings
from harness.emulator.engine.runs import CHARS_PER_TOKEN
from harness.emulator.engine.script import Obj, RunView

CODE_TOOL = "code_interpreter"
SEARCH_TOOL = "file_search"


@dataclass(frozen=True)
class Toolbox:
    """The run's tools as the model sees them; `kinds` maps each name to its tool type."""

    tools: list[Obj] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    """Tool type -> the name the model calls it by (functions by their own names)."""


def toolbox(run: Obj, code_files: list[str]) -> Toolbox:
    tools: list[Obj] = []
    kinds: dict[str, str] = {}
    names: dict[str, str] = {}
    functions = [t["function"] for t in run["tools"] if t["type"] == "function"]
    for fn in functions:
        spec: Obj = {"name": fn["name"]}
        for key in ("description", "parameters", "strict"):
            if fn.get(key) is not None:
                spec[key] = fn[key]
        tools.append({"type": "function", "function": spec})
        kinds[fn["name"]] = "function"
    for kind in dict.fromkeys(t["type"] for t in run["tools"] if t["type"] != "function"):
        name = kind
        while name in kinds:  # a function of the same name keeps it
            name = "_" + name
        kinds[name] = kind
        names[kind] = name
        tools.append({"type": "function", "function": _builtin(kind, name, code_files)})
    return Toolbox(tools, kinds, names)


def _builtin(kind: str, name: str, code_files: list[str]) -> Obj:
    if kind == CODE_TOOL:
        where = (
            "Files in the working directory: " + ", ".join(code_files) + "."
            if code_files
            else "The working directory is empty."
        )
        return {
            "name": name,
            "description": (
                "Run Python code in a sandbox without network access and get back what it "
                "prints (stdout and stderr); the value of a final bare expression is printed. "
                + where
            ),
            "parameters": {
                "type": "object",
                "properties": {"code": {"type": "string", "description": "Python source"}},
                "required": ["code"],
                "additionalProperties": False,
            },
        }
    return {
        "name": name,
        "description": (
            "Search the files attached to this conversation and get back the passages that "
            "match, each with a citation marker to copy into the answer."
        ),
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string", "description": "what to look for"}},
            "required": ["query"],
            "additionalProperties": False,
        },
    }


def opening(view: RunView) -> list[Obj]:
    """The system message and the thread's messages before the run."""
    run = view.run
    out: list[Obj] = []
    if run.get("instructions"):
        out.append({"role": "system", "content": run["instructions"]})
    history = view.history()
    truncation = run.get("truncation_strategy") or {}
    if truncation.get("type") == "last_messages" and truncation.get("last_messages"):
        history = history[-int(truncation["last_messages"]) :]
    told: set[str] = set()  # earlier runs whose steps are in `out`
    for msg in history:
        run_id = msg.get("run_id")
        if run_id and msg["role"] == "assistant":
            if run_id not in told:
                told.add(run_id)
                out += _earlier_run(view, run_id, msg)
            continue
        out.append({"role": msg["role"], "content": content(msg, view)})
    return out


def _earlier_run(view: RunView, run_id: str, first: Obj) -> list[Obj]:
    """An earlier run's part of the conversation, in its steps' order: each completed tool
    call step as the model's `tool_calls` and their `tool` results, each message it wrote.
    Without steps (a thread created with assistant messages) its first message stands alone."""
    steps = view.earlier_steps(run_id)
    if not steps:
        return [{"role": "assistant", "content": content(first, view)}]
    out: list[Obj] = []
    for step in steps:
        details = step.get("step_details") or {}
        if details.get("type") == "message_creation":
            msg = view.message(details["message_creation"]["message_id"])
            if msg is not None:
                out.append({"role": "assistant", "content": content(msg, view)})
        elif details.get("type") == "tool_calls" and step.get("status") == "completed":
            pairs = [p for p in map(_call_and_result, details.get("tool_calls") or []) if p]
            if pairs:
                calls = [call for call, _ in pairs]
                out.append({"role": "assistant", "content": None, "tool_calls": calls})
                out += [result for _, result in pairs]
    return out


def _call_and_result(call: Obj) -> tuple[Obj, Obj] | None:
    """A recorded tool call as Chat Completions shows it, with its result; None for a
    file_search call (its results are not kept with the step)."""
    kind = call.get("type")
    if kind == "function":
        fn = call["function"]
        name, arguments, output = fn["name"], fn.get("arguments") or "{}", fn.get("output")
    elif kind == CODE_TOOL:
        code = call["code_interpreter"]
        name, arguments = CODE_TOOL, json.dumps({"code": code.get("input") or ""})
        output = "\n".join(
            o.get("logs") or "" for o in code.get("outputs") or [] if o.get("type") == "logs"
        )
    else:
        return None
    shown = {
        "id": call["id"],
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }
    return shown, {"role": "tool", "tool_call_id": call["id"], "content": output or ""}


def fit(chat: list[Obj], limit: int) -> list[Obj]:
    """`chat` without its oldest messages (the system message stays, a tool call goes with
    its results) until its estimated tokens fit `limit`; the last message always stays."""
    head = 1 if chat and chat[0]["role"] == "system" else 0
    sizes = [len(json.dumps(message)) for message in chat]
    # the length of json.dumps(chat[:head] + chat[start:]), kept as messages drop: brackets,
    # each message, and ", " between them
    length = 2 + sum(sizes) + 2 * (len(chat) - 1)
    start = head
    while start < len(chat) - 1 and length > limit * CHARS_PER_TOKEN:
        length -= sizes[start] + 2
        start += 1
        while start < len(chat) - 1 and chat[start]["role"] == "tool":
            length -= sizes[start] + 2
            start += 1
    return chat[:head] + chat[start:]


def content(msg: Obj, view: RunView) -> str | list[Obj]:
    """A message's content: a string when it is text only, else parts (images for users)."""
    parts = msg["content"]
    texts = [p["text"]["value"] for p in parts if p["type"] == "text"]
    if msg["role"] != "user" or all(p["type"] == "text" for p in parts):
        return "\n".join(texts)
    out: list[Obj] = []
    for part in parts:
        if part["type"] == "text":
            out.append({"type": "text", "text": part["text"]["value"]})
        elif part["type"] == "image_url":
            out.append({"type": "image_url", "image_url": dict(part["image_url"])})
        elif part["type"] == "image_file":
            image = part["image_file"]
            found = view.file(image["file_id"])
            if found is None:
                continue
            name, data = found
            mime = mimetypes.guess_type(name)[0] or "image/png"
            url = f"data:{mime};base64,{base64.b64encode(data).decode()}"
            spec = {"url": url}
            if image.get("detail"):
                spec["detail"] = image["detail"]
            out.append({"type": "image_url", "image_url": spec})
    return out


def tool_choice(choice: Any, box: Toolbox, first: bool) -> Any:
    """The run's tool_choice; a forced tool only until the model has called tools once (after
    that the model may answer)."""
    if not first and choice != "none":
        return "auto"
    if isinstance(choice, dict):
        kind = choice.get("type")
        name = (choice.get("function") or {}).get("name") if kind == "function" else None
        return {"type": "function", "function": {"name": name or box.names.get(str(kind))}}
    return choice


def body(
    settings: ModelSettings,
    view: RunView,
    chat: list[Obj],
    box: Toolbox,
    *,
    first: bool,
    stream: bool,
    completion_budget: int | None,
) -> Obj:
    """The request body for the next answer."""
    run = view.run
    request: Obj = {"model": settings.model, "messages": chat}
    if box.tools:
        request["tools"] = box.tools
        request["tool_choice"] = tool_choice(run.get("tool_choice") or "auto", box, first)
        request["parallel_tool_calls"] = bool(run.get("parallel_tool_calls", True))
    response_format = run.get("response_format")
    if isinstance(response_format, dict):
        request["response_format"] = response_format
    temperature = settings.temperature
    if temperature is None:
        temperature = run.get("temperature")
    if temperature is not None:
        request["temperature"] = temperature
    if run.get("top_p") is not None:
        request["top_p"] = run["top_p"]
    if completion_budget is not None:
        request["max_completion_tokens"] = completion_budget
    if settings.seed is not None:
        request["seed"] = settings.seed
    if stream:
        request["stream"] = True
        request["stream_options"] = {"include_usage": True}
    return request
