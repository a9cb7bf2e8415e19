"""A Responses/Conversations recording as the common view (OpenAI's migration mapping: thread ->
conversation, run -> response, step -> item, assistant -> request settings).

A conversation is a Conversations API conversation, a chain of responses linked by
`previous_response_id`, or a history the app re-sends whole (its earlier items repeated in
`input`). A turn begins with a request that brings new user input and lasts through the
requests that only return function outputs (the app's own function-call loop); its settings
are each request's `instructions` and `tools`, as the response reports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness import api
from harness.cassette.model import Cassette, Request, Response
from harness.parity.model import (
    JSON,
    ApiError,
    Conversation,
    Ending,
    Said,
    Settings,
    ToolCall,
    Turn,
)
from harness.parity.reading import (
    as_dict,
    citation,
    dicts,
    error_code,
    error_ending,
    parse_json,
    settings,
    strip_markers,
)

# Output items that carry no conversation (the model's private reasoning).
_SILENT_ITEMS = frozenset({"reasoning"})
# Input items that repeat history the app already sent (a stateless port re-sends it all).
_HISTORY_ITEMS = frozenset({"function_call", "item_reference", "reasoning"})
_INSTRUCTION_ROLES = frozenset({"system", "developer"})


@dataclass
class _Response:
    settings: Settings
    status: str = "in_progress"
    output: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    reason: str | None = None
    refused: Ending | None = None


@dataclass
class _Turn:
    said: list[Said]
    responses: list[_Response] = field(default_factory=list)


@dataclass
class _Conversation:
    turns: list[_Turn] = field(default_factory=list)
    pending: list[Said] = field(default_factory=list)
    outputs: dict[str, JSON] = field(default_factory=dict)
    """Function outputs the app sent back, by call id."""
    user_texts: list[str] = field(default_factory=list)
    errors: list[ApiError] = field(default_factory=list)


class ResponsesReader:
    """Feed it a cassette (`read`), then take the conversations (`conversations`)."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files
        self.conversations_by_key: dict[str, _Conversation] = {}
        self.key_of_response: dict[str, str] = {}
        self.responses: dict[str, _Response] = {}
        self.unknown: list[str] = []
        self._anonymous = 0

    def read(self, cassette: Cassette) -> None:
        for interaction in cassette.interactions:
            self.exchange(interaction.request, interaction.response)

    def exchange(self, request: Request, response: Response) -> None:
        found = api.match(request.method, request.path)
        if found is None or found.operation.api != "responses":
            return
        ok = 200 <= response.status < 300
        name, body = found.name, as_dict(request.body)
        conversation_id = found.params.get("conversation_id")
        if name == "create_response":
            self.create(body, response)
        elif not ok:
            key = self.key_of_response.get(found.params.get("response_id", ""))
            key = f"conv:{conversation_id}" if conversation_id else key
            if key is not None:
                self.conversation(key).errors.append(
                    ApiError(response.status, error_code(response))
                )
        elif name == "create_conversation":
            created = as_dict(response.body).get("id")
            if isinstance(created, str):
                self.conversation(f"conv:{created}").pending += self.inputs(body.get("items"))[0]
        elif name == "create_conversation_items" and conversation_id:
            conv = self.conversation(f"conv:{conversation_id}")
            said, outputs = self.inputs(body.get("items"))
            conv.pending += said
            conv.outputs.update(outputs)
        elif name in ("get_response", "cancel_response"):
            self.update(found.params.get("response_id", ""), self.final(response))

    def conversation(self, key: str) -> _Conversation:
        return self.conversations_by_key.setdefault(key, _Conversation())

    # -- requests

    def create(self, body: dict[str, Any], response: Response) -> None:
        items = body.get("input")
        items = [{"role": "user", "content": items}] if isinstance(items, str) else dicts(items)
        key, items = self.key_for(body, items)
        conv = self.conversation(key)
        said, outputs = self.inputs(items)
        conv.outputs.update(outputs)
        developer = [s.text for s in said if s.role in _INSTRUCTION_ROLES]
        said = [s for s in said if s.role not in _INSTRUCTION_ROLES]
        if conv.pending or any(s.role == "user" for s in said) or not conv.turns:
            conv.turns.append(_Turn(conv.pending + said))
            conv.pending = []
        else:
            conv.turns[-1].said += said
        conv.user_texts += [s.text for s in said if s.role == "user"]
        final = self.final(response)
        instructions = final.get("instructions", body.get("instructions"))
        if developer:
            instructions = "\n".join([*([instructions] if instructions else []), *developer])
        record = _Response(settings(instructions, final.get("tools", body.get("tools"))))
        conv.turns[-1].responses.append(record)
        if not 200 <= response.status < 300:
            record.refused = error_ending(response)
            return
        response_id = final.get("id")
        if isinstance(response_id, str):
            self.key_of_response[response_id] = key
            self.responses[response_id] = record
        self.apply(record, final)

    def key_for(
        self, body: dict[str, Any], items: list[dict[str, Any]]
    ) -> tuple[str, list[dict[str, Any]]]:
        """Which conversation a request continues, and its new input items."""
        named = body.get("conversation")
        named = as_dict(named).get("id") if isinstance(named, dict) else named
        if isinstance(named, str) and named:
            return f"conv:{named}", items
        previous = body.get("previous_response_id")
        if isinstance(previous, str) and previous in self.key_of_response:
            return self.key_of_response[previous], items
        if any(_is_history(item) or _role(item) == "assistant" for item in items):
            found = self.resent_history(items)
            if found is not None:
                return found
        self._anonymous += 1
        return f"chain:{self._anonymous}", items

    def resent_history(
        self, items: list[dict[str, Any]]
    ) -> tuple[str, list[dict[str, Any]]] | None:
        """A stateless port re-sends the conversation so far: find the conversation whose user
        messages begin this input, and keep only what follows the last item it knew."""
        users = [i for i, item in enumerate(items) if _role(item) == "user"]
        texts = [self.said(items[i]).text for i in users]
        best: tuple[int, str] | None = None
        for key, conv in self.conversations_by_key.items():
            known = len(conv.user_texts)
            if known and texts[:known] == conv.user_texts and (best is None or known > best[0]):
                best = (known, key)
        if best is None:
            return None
        known, key = best
        rest = items[users[known - 1] + 1 :]
        # After the last user message it knew come that turn's answers and function calls
        # (history), then what is new: outputs it has not seen, the next user message.
        seen = self.conversations_by_key[key].outputs
        new = [
            item
            for item in rest
            if _role(item) not in (None, "assistant")
            or (item.get("type") == "function_call_output" and item.get("call_id") not in seen)
        ]
        return key, new

    def inputs(self, items: JSON) -> tuple[list[Said], dict[str, JSON]]:
        said: list[Said] = []
        outputs: dict[str, JSON] = {}
        for item in dicts(items):
            kind = item.get("type")
            if kind == "function_call_output":
                outputs[str(item.get("call_id"))] = parse_json(item.get("output"))
            elif kind in (None, "message") and _role(item) is not None:
                if _role(item) != "assistant" or not _is_history(item):
                    said.append(self.said(item))
            elif kind not in _HISTORY_ITEMS:
                self.unknown.append(f"input item {kind}")
        return said, outputs

    def said(self, item: dict[str, Any]) -> Said:
        content = item.get("content")
        texts = [content] if isinstance(content, str) else []
        files: list[str] = []
        for part in dicts(content):
            kind = part.get("type")
            if kind in ("input_text", "output_text", "text") and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif kind == "input_file":
                file_id = part.get("file_id")
                name = part.get("filename") or self.files.get(str(file_id), str(file_id))
                files.append(str(name))
            else:
                texts.append(f"[{kind}]")
        return Said(str(_role(item)), "\n".join(texts), tuple(files))

    # -- answers

    def final(self, response: Response) -> dict[str, Any]:
        """The response object an answer ends with (a stream's last one)."""
        if response.events is None:
            return as_dict(response.body)
        last: dict[str, Any] = {}
        items: list[dict[str, Any]] = []
        for event in response.events:
            data = as_dict(event.get("data"))
            if isinstance(data.get("response"), dict):
                last = data["response"]
            elif data.get("type") == "response.output_item.done":
                items += dicts([data.get("item")])
        if items and not last.get("output"):
            last = {**last, "output": items}  # the stream stopped before its last event
        return last

    def update(self, response_id: str, final: dict[str, Any]) -> None:
        record = self.responses.get(response_id)
        if record is not None and final:
            self.apply(record, final)

    def apply(self, record: _Response, final: dict[str, Any]) -> None:
        record.status = str(final.get("status") or record.status)
        if isinstance(final.get("output"), list):
            record.output = dicts(final["output"])
        code = as_dict(final.get("error")).get("code")
        record.error = str(code) if code else record.error
        reason = as_dict(final.get("incomplete_details")).get("reason")
        record.reason = str(reason) if reason else record.reason

    # -- the view

    def conversations(self) -> list[Conversation]:
        out: list[Conversation] = []
        for conv in self.conversations_by_key.values():
            turns = [self.turn(conv, t) for t in conv.turns]
            if conv.pending:
                turns.append(Turn(tuple(conv.pending), (), (), (), Ending("unfinished")))
            out.append(Conversation(tuple(turns), tuple(conv.errors)))
        return out

    def turn(self, conv: _Conversation, turn: _Turn) -> Turn:
        calls: list[ToolCall] = []
        answers: list[Said] = []
        merged: list[Settings] = []
        for record in turn.responses:
            if merged[-1:] != [record.settings]:
                merged.append(record.settings)
            for item in record.output:
                self.output_item(conv, item, calls, answers)
        ending = self.ending(turn.responses[-1], calls) if turn.responses else Ending("unfinished")
        return Turn(tuple(turn.said), tuple(merged), tuple(calls), tuple(answers), ending)

    def output_item(
        self, conv: _Conversation, item: dict[str, Any], calls: list[ToolCall], answers: list[Said]
    ) -> None:
        kind = str(item.get("type"))
        if kind == "message":
            answers.append(self.answer(item))
        elif kind == "function_call":
            output = conv.outputs.get(str(item.get("call_id")))
            name = item.get("name")
            arguments = parse_json(item.get("arguments"))
            calls.append(ToolCall("function", str(name) if name else None, arguments, output))
        elif kind == "code_interpreter_call":
            logs = [o.get("logs") for o in dicts(item.get("outputs")) if o.get("type") == "logs"]
            calls.append(
                ToolCall(
                    "code_interpreter", None, item.get("code"), "".join(map(str, logs)) or None
                )
            )
        elif kind.endswith("_call"):
            calls.append(ToolCall(kind.removesuffix("_call"), None, None))
        elif kind not in _SILENT_ITEMS:
            self.unknown.append(f"output item {kind}")

    def answer(self, item: dict[str, Any]) -> Said:
        texts: list[str] = []
        annotations: list[dict[str, Any]] = []
        for part in dicts(item.get("content")):
            if part.get("type") == "output_text":
                texts.append(str(part.get("text", "")))
                annotations += dicts(part.get("annotations"))
            elif part.get("type") == "refusal":
                texts.append(f"[refusal] {part.get('refusal')}")
            else:
                texts.append(f"[{part.get('type')}]")
        text = strip_markers("\n".join(texts), annotations)
        cited = tuple(citation(a, self.files) for a in annotations)
        return Said("assistant", text.strip(), citations=cited)

    def ending(self, last: _Response, calls: list[ToolCall]) -> Ending:
        if last.refused is not None:
            return last.refused
        if last.status == "completed":
            asked = any(i.get("type") == "function_call" for i in last.output)
            return Ending("needed a tool") if asked else Ending("completed")
        if last.status == "failed":
            return Ending("failed", last.error)
        if last.status == "incomplete":
            return Ending("incomplete", last.reason)
        if last.status in api.CANCEL_STATUSES:
            return Ending("cancelled")
        return Ending("unfinished")


def _role(item: dict[str, Any]) -> str | None:
    role = item.get("role")
    return role if isinstance(role, str) else None


def _is_history(item: dict[str, Any]) -> bool:
    """An item the model wrote, which an app only sends back as history."""
    return item.get("type") in _HISTORY_ITEMS or (
        _role(item) == "assistant" and isinstance(item.get("id"), str)
    )
