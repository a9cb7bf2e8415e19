"""The Responses side of a transcript: each response's request, status path and output items,
and each conversation's items in order, aliased like the rest (`resp_1`, `conv_1`, `fc_1`,
`call_1`).

A response is seen where the API shows it: the create answer, each retrieve (a poll), a
cancel answer, and the `response.*` events of a stream (their `response` objects; the
`sequence_number`s are kept for the invariants). Its input is what the app sent to create it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.cassette.model import Request, Response
from harness.transcript.aliases import Aliases
from harness.transcript.response_model import ConversationView, ResponseTimeline, SequencedStream
from harness.transcript.spans import JSON, collapse
from harness.transcript.summaries import as_dict, dicts, parse_json_text

_SETTINGS = ("background", "store", "stream", "include", "tool_choice", "max_output_tokens")


def item_summary(a: Aliases, item: Mapping[str, Any]) -> dict[str, JSON]:
    """One input or output item, short and aliased."""
    kind = str(item.get("type", "message"))
    out: dict[str, JSON] = {"type": kind}
    if kind == "message":
        out["role"] = item.get("role")
        content = item.get("content")
        if isinstance(content, str):
            out["text"] = a.text(content)
        else:
            texts = [str(p.get("text", "")) for p in dicts(content) if "text" in p]
            refusals = [f"[refusal] {p.get('refusal')}" for p in dicts(content) if "refusal" in p]
            out["text"] = a.text("\n".join(texts + refusals))
            notes = [_annotation(a, n) for p in dicts(content) for n in dicts(p.get("annotations"))]
            if notes:
                out["annotations"] = notes
    elif kind == "function_call":
        out["call"] = a.of(item.get("call_id")) or item.get("call_id")
        out["name"] = item.get("name")
        out["arguments"] = a.deep(parse_json_text(item.get("arguments")))
    elif kind == "function_call_output":
        out["call"] = a.of(item.get("call_id")) or item.get("call_id")
        out["output"] = a.deep(parse_json_text(item.get("output")))
    elif kind == "file_search_call":
        out["queries"] = item.get("queries")
        out["results"] = [
            {"file": a.of(r.get("file_id")), "name": r.get("filename")}
            for r in dicts(item.get("results"))
        ]
    elif kind == "code_interpreter_call":
        out["code"] = item.get("code")
        out["outputs"] = [
            {"logs": o.get("logs")} if o.get("type") == "logs" else {"image": o.get("url")}
            for o in dicts(item.get("outputs"))
        ]
    elif kind == "reasoning":
        out["summary"] = [s.get("text") for s in dicts(item.get("summary"))]
    elif kind == "web_search_call":
        out["action"] = a.deep(item.get("action"))
    elif kind.startswith("mcp_"):
        for key in ("server_label", "name", "arguments", "output", "error"):
            if item.get(key) is not None:
                out[key] = a.deep(parse_json_text(item.get(key)))
        if kind == "mcp_list_tools":
            out["tools"] = [t.get("name") for t in dicts(item.get("tools"))]
    return out


def _annotation(a: Aliases, note: Mapping[str, Any]) -> dict[str, JSON]:
    found: dict[str, JSON] = {"type": note.get("type")}
    for key in ("file_id", "filename", "url", "title"):
        if note.get(key) is not None:
            found[key.removesuffix("_id")] = a.of(note[key]) or note[key]
    return found


def input_items(given: JSON) -> list[dict[str, Any]]:
    """A create request's `input` as items (a plain string is one user message)."""
    if isinstance(given, str):
        return [{"type": "message", "role": "user", "content": given}]
    return dicts(given)


@dataclass
class _Seen:
    real_id: str
    where: int
    request: dict[str, Any] = field(default_factory=dict)
    statuses: list[tuple[str, int]] = field(default_factory=list)
    wheres: list[int] = field(default_factory=list)
    gates: list[tuple[int, str]] = field(default_factory=list)
    last: dict[str, Any] = field(default_factory=dict)


class ResponsesReader:
    """Gathers the Responses side of a cassette, exchange by exchange (see the module doc)."""

    def __init__(self, aliases: Aliases, usage: bool) -> None:
        self.a = aliases
        self.usage = usage
        self.responses: dict[str, _Seen] = {}
        self.conversations: dict[str, dict[str, Any]] = {}
        self.streams: list[SequencedStream] = []

    def exchange(
        self, where: int, name: str, params: Mapping[str, str], x: tuple[Request, Response, int]
    ) -> None:
        request, response, repeat = x
        ok = 200 <= response.status < 300
        body = as_dict(request.body)
        if name == "create_response" and ok:
            shown = self._shown(response)
            if shown is not None:
                seen = self._response(shown, where)
                seen.request = body
        if name == "cancel_response" and ok:
            self._response({"id": params.get("response_id")}, where).gates.append((-1, "cancel"))
        if response.events is not None:
            self._stream(where, request, response.events)
        elif ok and isinstance(response.body, dict):
            if response.body.get("object") == "response":
                self._observe(response.body, where, repeat)
            self._conversation(name, params, body, response.body)

    def _shown(self, response: Response) -> dict[str, Any] | None:
        if isinstance(response.body, dict) and response.body.get("object") == "response":
            return response.body
        for event in response.events or ():
            inner = as_dict(as_dict(event.get("data")).get("response"))
            if inner.get("id"):
                return inner
        return None

    def _response(self, shown: Mapping[str, Any], where: int) -> _Seen:
        real = str(shown.get("id"))
        if real not in self.responses:
            self.responses[real] = _Seen(real, where)
        return self.responses[real]

    def _observe(self, shown: dict[str, Any], where: int, repeat: int = 1) -> None:
        seen = self._response(shown, where)
        for index, (position, gate) in enumerate(seen.gates):
            if position < 0:
                seen.gates[index] = (sum(n for _, n in seen.statuses), gate)
        status = shown.get("status")
        if isinstance(status, str):
            seen.statuses.append((status, repeat))
            seen.wheres.append(where)
        if shown.get("output") or not seen.last:
            seen.last = shown

    def _stream(self, where: int, request: Request, events: Iterable[dict[str, Any]]) -> None:
        numbers: list[int | None] = []
        for event in events:
            data = as_dict(event.get("data"))
            if not str(data.get("type", event.get("event") or "")).startswith("response."):
                continue
            number = data.get("sequence_number")
            numbers.append(number if isinstance(number, int) else None)
            shown = as_dict(data.get("response"))
            if shown.get("id"):
                self._observe(shown, where)
        if numbers:
            after = dict(request.query).get("starting_after")
            line = f"{request.method} {self.a.text(request.path)}"
            start = int(after) if after is not None and after.lstrip("-").isdigit() else None
            self.streams.append(SequencedStream(where, line, start, tuple(numbers)))

    def _conversation(
        self, name: str, params: Mapping[str, str], body: dict[str, Any], answer: dict[str, Any]
    ) -> None:
        if name == "create_conversation" and answer.get("id"):
            entry = self._conv(str(answer["id"]))
            entry["lifecycle"].append("created")
            entry["items"] += input_items(body.get("items"))
        elif name == "create_conversation_items" and params.get("conversation_id"):
            self._conv(params["conversation_id"])["items"] += dicts(answer.get("data"))
        elif name == "delete_conversation" and params.get("conversation_id"):
            self._conv(params["conversation_id"])["lifecycle"].append("deleted")
        elif name == "update_conversation" and params.get("conversation_id"):
            self._conv(params["conversation_id"])["lifecycle"].append("updated")

    def _conv(self, real: str) -> dict[str, Any]:
        return self.conversations.setdefault(real, {"lifecycle": [], "items": []})

    # -- freezing -----------------------------------------------------------------

    def freeze(self) -> tuple[tuple[ResponseTimeline, ...], tuple[ConversationView, ...]]:
        a = self.a
        timelines = []
        for real, seen in self.responses.items():
            request, last = seen.request, seen.last
            conversation = request.get("conversation") or as_dict(last.get("conversation")).get(
                "id"
            )
            if isinstance(conversation, dict):
                conversation = conversation.get("id")
            given = input_items(request.get("input"))
            usage = as_dict(last.get("usage")) or None
            timelines.append(
                ResponseTimeline(
                    id=a.of(real) or real,
                    real_id=real,
                    where=seen.where,
                    previous=_alias(a, request.get("previous_response_id")),
                    conversation=_alias(a, conversation),
                    settings={k: request[k] for k in _SETTINGS if k in request},
                    tools=tuple(
                        str(t.get("name") or t.get("type")) for t in dicts(request.get("tools"))
                    ),
                    input=tuple(item_summary(a, i) for i in given),
                    statuses=collapse(seen.statuses),
                    observed=_observed(seen),
                    gates=tuple(seen.gates),
                    output=tuple(item_summary(a, i) for i in dicts(last.get("output"))),
                    error=a.deep(last.get("error")) or None,
                    incomplete=as_dict(last.get("incomplete_details")).get("reason"),
                    usage=usage if self.usage else None,
                    answered=tuple(
                        str(a.of(i.get("call_id")) or i.get("call_id"))
                        for i in given
                        if i.get("type") == "function_call_output"
                    ),
                )
            )
        return tuple(timelines), tuple(self._conversations(timelines))

    def _conversations(self, timelines: list[ResponseTimeline]) -> Iterable[ConversationView]:
        a = self.a
        for real, entry in self.conversations.items():
            alias = a.of(real) or real
            items: list[dict[str, Any]] = list(entry["items"])
            for timeline in timelines:
                if timeline.conversation == alias:
                    seen = self.responses[timeline.real_id]
                    items += input_items(seen.request.get("input"))
                    items += dicts(seen.last.get("output"))
            yield ConversationView(
                alias, real, tuple(entry["lifecycle"]), tuple(item_summary(a, i) for i in items)
            )


def _observed(seen: _Seen) -> tuple[tuple[str, int, int], ...]:
    path: list[tuple[str, int, int]] = []
    for (status, count), where in zip(seen.statuses, seen.wheres, strict=True):
        if path and path[-1][0] == status:
            path[-1] = (status, path[-1][1] + count, path[-1][2])
        else:
            path.append((status, count, where))
    return tuple(path)


def _alias(a: Aliases, value: JSON) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return a.of(value) or value
