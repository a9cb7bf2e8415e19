"""From a Chat Completions answer (whole, or chunk by chunk) to what the run does next.

`Answer.feed` takes a completion or a stream chunk and returns the text it
adds, so a streamed answer's text can be written as it arrives; `problem`
says why a finished answer cannot be carried out (a refusal, a tool the run
does not have, arguments that are not JSON), in one line for the run's
`last_error`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harness.emulator.engine.model.request import CODE_TOOL, Toolbox
from harness.emulator.engine.script import Obj


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str
    named: bool = False
    """Its name is whole: a delta has carried its arguments (the name comes before them)."""


@dataclass
class Answer:
    """One model answer, as much of it as has arrived."""

    text: str = ""
    refusal: str = ""
    calls: dict[int, ToolCall] = field(default_factory=dict)
    finish: str | None = None
    usage: tuple[int, int] | None = None

    def feed(self, data: Obj) -> str:
        """Take a completion or a chunk; return the text it adds."""
        usage = data.get("usage")
        if isinstance(usage, dict):
            prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
            self.usage = (int(prompt or 0), int(completion or 0))
        choices = data.get("choices") or []
        choice = choices[0] if choices and isinstance(choices[0], dict) else {}
        if choice.get("finish_reason"):
            self.finish = str(choice["finish_reason"])
        part = choice.get("message") if "message" in choice else choice.get("delta")
        if not isinstance(part, dict):
            return ""
        content = part.get("content")
        piece = content if isinstance(content, str) else ""
        self.text += piece
        if isinstance(part.get("refusal"), str):
            self.refusal += part["refusal"]
        for position, call in enumerate(part.get("tool_calls") or []):
            self._call(position, call)
        return piece

    def _call(self, position: int, delta: Any) -> None:
        if not isinstance(delta, dict):
            return
        index = delta.get("index")
        if index is None:
            index = position
        fn = delta.get("function") or {}
        buf = self.calls.get(index)
        if buf is None:
            buf = self.calls[index] = ToolCall("", "", "")
        buf.id = buf.id or str(delta.get("id") or "")
        buf.name += str(fn.get("name") or "")
        buf.arguments += str(fn.get("arguments") or "")
        buf.named = buf.named or "arguments" in fn

    def tool_calls(self) -> list[ToolCall]:
        return [self.calls[i] for i in sorted(self.calls)]

    def problem(self, box: Toolbox) -> str | None:
        """Why the answer cannot be carried out, or None."""
        if self.refusal and not self.text and not self.calls:
            return f"The model refused: {_line(self.refusal)}"
        if self.finish == "content_filter":
            return "The model endpoint stopped the answer: content_filter."
        for call in self.tool_calls():
            kind = box.kinds.get(call.name)
            if kind is None:
                have = ", ".join(box.kinds) or "none"
                return (
                    f"The model called tool {call.name!r}, which the run does not have "
                    f"(its tools: {have})."
                )
            try:
                arguments = json.loads(call.arguments or "{}")
            except ValueError:
                return (
                    f"The model sent arguments for {call.name!r} that are not valid JSON: "
                    f"{_line(call.arguments)!r}"
                )
            if kind != "function":
                key = "code" if kind == CODE_TOOL else "query"
                if not isinstance(arguments, dict) or not isinstance(arguments.get(key), str):
                    return f"The model called {call.name!r} without a string {key!r} argument."
            elif not isinstance(arguments, dict):
                return f"The model sent arguments for {call.name!r} that are not a JSON object."
        return None

    def message(self) -> Obj:
        """The answer as an assistant message of the conversation sent back to the model."""
        out: Obj = {"role": "assistant", "content": self.text or None}
        calls = self.tool_calls()
        if calls:
            out["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in calls
            ]
        return out


def _line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
