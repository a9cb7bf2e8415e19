"""A loopback Responses + Conversations server shaped like the real API (per the shipped spec).

Deterministic: ids count up (`resp_0001`, `conv_0001`, `fc_0001`, `call_0001`), times are
fixed, so an unchanged test records the same bytes twice. What "the model" does is one of two
plain scripts:

- `calls` (the default): with a function tool named in `calls` and no `function_call_output`
  in the request's input, it calls that tool with the scripted arguments; otherwise it answers
  one message echoing the last input text (or the tool output it was given).
- `rules`, matched against the newest user text, first match wins: `{"match": regex, "say":
  text}`, `{"match": ..., "call": {"name", "arguments"}, "then": text}` (the function is
  called when the request offers it, its arguments under the names the offered schema uses;
  `then` answers its output, `{output}` in it replaced by the output sent back),
  `{"match": ..., "say": ..., "cite": file name, "store": id}` (the answer cites the file when
  the request searches that vector store), `{"match": ..., "fail": code}` (the response fails).
  Used to record ports of the seed's Assistants apps (`tests/parity`).

It serves plain, streamed (`sequence_number` on every event) and background responses
(`queued`, `in_progress` for `polls` retrieves, then `completed`; `/cancel` ends one
`cancelled`; `?stream=true&starting_after=N` resumes a background stream), `store: false`,
`previous_response_id` (404 for an unknown one, 400 when its function calls go unanswered),
`conversation=` (input and output become the conversation's items), `include=[...]`, paginated
`input_items`, and conversations with items (create, list with `after`/`limit`/`order`,
retrieve, delete), and `POST /threads` for an app that uses both APIs. Anything else
answers 404 the way the API does.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.echo_server import EchoHandler
from tests.support.inprocess import run_pytest
from tests.support.serving import serving

_EPOCH = 1_765_000_000

Rule = dict[str, Any]


@dataclass
class ResponsesServer:
    base_url: str = ""
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Function tool name -> the arguments "the model" calls it with."""
    polls: int = 2
    """Retrieves a background response answers `in_progress` before it completes."""
    rules: list[Rule] | None = None
    """Answer by these rules (see the module docstring) instead of by `calls`."""
    pending: dict[str, Rule] = field(default_factory=dict)
    """Function call id -> the rule that made it."""
    seen: list[dict[str, Any]] = field(default_factory=list)
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    inputs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    retrieved: dict[str, int] = field(default_factory=dict)
    counters: dict[str, itertools.count[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def new_id(self, prefix: str) -> str:
        counter = self.counters.setdefault(prefix, itertools.count(1))
        return f"{prefix}_{next(counter):04d}"

    # -- what the model does -------------------------------------------------

    def output(
        self, body: dict[str, Any], given: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """The response's output items, and its error when it fails."""
        if self.rules is not None:
            return self.scripted(body, given)
        answered = [i for i in given if i.get("type") == "function_call_output"]
        tools = [t.get("name") for t in body.get("tools") or [] if t.get("type") == "function"]
        called = [name for name in tools if name in self.calls]
        if called and not answered:
            return [self.function_call(name, self.calls[name]) for name in called], None
        if answered:
            text = "The tool said: " + "; ".join(str(i.get("output")) for i in answered)
        else:
            text = "You said: " + _last_text(given)
        return [self.message(text)], None

    def scripted(
        self, body: dict[str, Any], given: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """What the first rule matching the newest user text says (see `rules`)."""
        answered = [i for i in given if i.get("type") == "function_call_output"]
        if answered:
            rule = self.pending.get(answered[0]["call_id"], {})
            text = str(rule.get("then", "")).replace("{output}", str(answered[0]["output"]))
            return [self.message(text)], None
        text = _last_user_text(given)
        rule = next((r for r in self.rules or [] if re.search(r["match"], text)), None)
        rule = rule or {"say": "I do not know."}
        tools = body.get("tools") or []
        offered = {t.get("name"): t for t in tools}
        if "fail" in rule:
            return [], {"code": rule["fail"], "message": "Sorry."}
        if "call" in rule and rule["call"]["name"] in offered:
            name = rule["call"]["name"]
            call = self.function_call(name, _fit(rule["call"]["arguments"], offered[name]))
            self.pending[call["call_id"]] = rule
            return [call], None
        stores = {
            store
            for tool in tools
            if tool.get("type") == "file_search"
            for store in tool.get("vector_store_ids") or []
        }
        cite = rule.get("cite") if rule.get("store") in stores else None
        said = str(rule.get("say", ""))
        cited = [
            {"type": "file_citation", "file_id": "file-x", "filename": cite, "index": len(said)}
        ]
        return [self.message(said, cited if cite else [])], None

    def function_call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.new_id("fc"),
            "type": "function_call",
            "status": "completed",
            "call_id": self.new_id("call"),
            "name": name,
            "arguments": json.dumps(arguments),
        }

    def message(self, text: str, annotations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        return {
            "id": self.new_id("msg"),
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": annotations or []}],
        }

    # -- operations ----------------------------------------------------------

    def create_response(self, body: dict[str, Any]) -> tuple[int, Any]:
        previous = body.get("previous_response_id")
        if previous and previous not in self.responses:
            return _missing(f"Previous response with id '{previous}' not found.")
        conversation = body.get("conversation")
        conv_id = conversation.get("id") if isinstance(conversation, dict) else conversation
        if conv_id and conv_id not in self.conversations:
            return _missing(f"Conversation with id '{conv_id}' not found.")
        given = [self.item(i, "user") for i in _input_items(body.get("input"))]
        unanswered = [
            i["call_id"]
            for i in (self.responses[previous]["output"] if previous else [])
            if i.get("type") == "function_call"
        ]
        if unanswered and not any(i.get("type") == "function_call_output" for i in given):
            message = f"No tool output found for function call {unanswered[0]}."
            return 400, _error(message, None)
        output, error = self.output(body, given)
        response_id = self.new_id("resp")
        background = bool(body.get("background"))
        response: dict[str, Any] = {
            "id": response_id,
            "object": "response",
            "created_at": _EPOCH + len(self.responses),
            "status": "queued" if background else "failed" if error else "completed",
            "background": background,
            "error": error,
            "incomplete_details": None,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "model": body.get("model", "test-model"),
            "output": [] if background else output,
            "parallel_tool_calls": True,
            "previous_response_id": previous,
            "conversation": {"id": conv_id} if conv_id else None,
            "store": body.get("store", True),
            "temperature": 1.0,
            "text": {"format": {"type": "text"}},
            "tool_choice": "auto",
            "tools": body.get("tools") or [],
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": None if background else _usage(given, output),
            "metadata": body.get("metadata") or {},
        }
        if "message.output_text.logprobs" in (body.get("include") or []):
            for item in output:
                for part in item.get("content", []):
                    part["logprobs"] = []
        self.inputs[response_id] = given
        self.responses[response_id] = response
        self.retrieved[response_id] = 0
        if background:
            response["_output"] = output
        elif conv_id:
            self.items[conv_id] += given + output
        if body.get("stream"):
            events = self.events[response_id] = _stream(response, output, background=background)
            return 200, events
        return 200, self.public(response)

    def public(self, response: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in response.items() if not k.startswith("_")}

    def get_response(self, response_id: str, query: dict[str, str]) -> tuple[int, Any]:
        response = self.responses.get(response_id)
        if response is None or not response["store"]:
            return _missing(f"Response with id '{response_id}' not found.")
        if query.get("stream") == "true":
            after = int(query.get("starting_after", "-1"))
            return 200, [
                e for e in self.events.get(response_id, []) if e["sequence_number"] > after
            ]
        if response["background"] and response["status"] in ("queued", "in_progress"):
            self.retrieved[response_id] += 1
            if self.retrieved[response_id] > self.polls:
                self.finish(response, "completed")
            else:
                response["status"] = "in_progress"
        return 200, self.public(response)

    def finish(self, response: dict[str, Any], status: str) -> None:
        output = response.pop("_output", [])
        response["status"] = status
        if status == "completed":
            response["output"] = output
            response["usage"] = _usage(self.inputs[response["id"]], output)
            conversation = response["conversation"]
            if conversation:
                self.items[conversation["id"]] += self.inputs[response["id"]] + output

    def cancel_response(self, response_id: str) -> tuple[int, Any]:
        response = self.responses.get(response_id)
        if response is None:
            return _missing(f"Response with id '{response_id}' not found.")
        if not response["background"]:
            return 400, _error("Only background responses can be cancelled.", "invalid_request")
        if response["status"] in ("queued", "in_progress"):
            self.finish(response, "cancelled")
        return 200, self.public(response)

    def delete_response(self, response_id: str) -> tuple[int, Any]:
        if self.responses.pop(response_id, None) is None:
            return _missing(f"Response with id '{response_id}' not found.")
        return 200, {"id": response_id, "object": "response", "deleted": True}

    def item(self, raw: dict[str, Any], role: str) -> dict[str, Any]:
        item = dict(raw)
        if item.get("type", "message") == "message":
            content = item.get("content", "")
            if isinstance(content, str):
                content = [{"type": "input_text", "text": content}]
            item.update(type="message", status="completed", role=item.get("role", role))
            item["content"] = content
            item.setdefault("id", self.new_id("msg"))
        elif item["type"] == "function_call_output":
            item.setdefault("id", self.new_id("fco"))
            item.setdefault("status", "completed")
        return item

    def create_conversation(self, body: dict[str, Any]) -> tuple[int, Any]:
        conv_id = self.new_id("conv")
        self.conversations[conv_id] = {
            "id": conv_id,
            "object": "conversation",
            "created_at": _EPOCH + len(self.conversations),
            "metadata": body.get("metadata") or {},
        }
        self.items[conv_id] = [self.item(i, "user") for i in body.get("items") or []]
        return 200, self.conversations[conv_id]


def _missing(message: str) -> tuple[int, Any]:
    return 404, _error(message, "not_found")


def _error(message: str, code: str | None) -> dict[str, Any]:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    }


def _input_items(given: Any) -> list[dict[str, Any]]:
    if given is None:
        return []
    if isinstance(given, str):
        return [{"type": "message", "role": "user", "content": given}]
    return [dict(i) for i in given]


def _last_text(items: list[dict[str, Any]]) -> str:
    for item in reversed(items):
        for part in item.get("content") or []:
            if isinstance(part, dict) and "text" in part:
                return str(part["text"])
    return ""


def _last_user_text(items: list[dict[str, Any]]) -> str:
    for item in reversed(items):
        if item.get("role") == "user":
            return " ".join(
                str(p.get("text", "")) for p in item.get("content") or [] if isinstance(p, dict)
            )
    return ""


def _fit(arguments: dict[str, Any], tool: dict[str, Any]) -> dict[str, Any]:
    """The arguments under the names the offered schema uses, as a model would write them: an
    argument the schema does not name takes the one name the schema has and they lack."""
    names = list((tool.get("parameters") or {}).get("properties") or {})
    unused = [n for n in names if n not in arguments]
    fitted: dict[str, Any] = {}
    for key, value in arguments.items():
        if names and key not in names and len(unused) == 1:
            key = unused[0]
        fitted[key] = value
    return fitted


def _usage(given: list[dict[str, Any]], output: list[dict[str, Any]]) -> dict[str, Any]:
    used_in, used_out = 5 * max(len(given), 1), 3 * len(output)
    return {
        "input_tokens": used_in,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": used_out,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": used_in + used_out,
    }


def _stream(
    response: dict[str, Any], output: list[dict[str, Any]], *, background: bool
) -> list[dict[str, Any]]:
    """The `response.*` events of one response, numbered from 0."""
    events: list[dict[str, Any]] = []

    def emit(kind: str, **data: Any) -> None:
        events.append({"type": kind, "sequence_number": len(events), **data})

    start = {**response, "status": "queued" if background else "in_progress", "output": []}
    start.pop("_output", None)
    emit("response.created", response=start)
    emit("response.in_progress", response={**start, "status": "in_progress"})
    for index, item in enumerate(output):
        if item["type"] == "function_call":
            emit(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "arguments": ""},
            )
            arguments = item["arguments"]
            for piece in (arguments[: len(arguments) // 2], arguments[len(arguments) // 2 :]):
                emit(
                    "response.function_call_arguments.delta",
                    item_id=item["id"],
                    output_index=index,
                    delta=piece,
                )
            emit(
                "response.function_call_arguments.done",
                item_id=item["id"],
                output_index=index,
                arguments=arguments,
            )
        else:
            text = item["content"][0]["text"]
            emit(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "content": []},
            )
            part = {"type": "output_text", "text": "", "annotations": []}
            common = {"item_id": item["id"], "output_index": index, "content_index": 0}
            emit("response.content_part.added", **common, part=part)
            for word in text.split(" "):
                piece = (
                    word
                    if not events or events[-1]["type"] != "response.output_text.delta"
                    else " " + word
                )
                emit("response.output_text.delta", **common, delta=piece, logprobs=[])
            emit("response.output_text.done", **common, text=text, logprobs=[])
            emit("response.content_part.done", **common, part={**part, "text": text})
        emit("response.output_item.done", output_index=index, item=item)
    failed = response["status"] == "failed"
    done = {**response, "status": "failed" if failed else "completed", "output": output}
    done.pop("_output", None)
    if background:
        done["usage"] = _usage([], output)
    emit("response.failed" if failed else "response.completed", response=done)
    return events


class _Handler(EchoHandler):
    server: _Server

    def _answer(self) -> None:
        raw, echo = self.read_echo()
        app = self.server.app
        app.seen.append(echo)
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body = json.loads(raw) if raw else {}
        path = parts.path.removeprefix("/v1").strip("/").split("/")
        with app.lock:
            status, answer = _route(app, self.command, path, query, body)
        if isinstance(answer, list):
            data = "".join(
                f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in answer
            ).encode()
            content_type = "text/event-stream"
        else:
            data = json.dumps(answer).encode()
            content_type = "application/json"
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", f"req_{len(app.seen):04d}")
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _answer


def _route(
    app: ResponsesServer, method: str, path: list[str], query: dict[str, str], body: Any
) -> tuple[int, Any]:
    match (method, path):
        case ("POST", ["responses"]):
            return app.create_response(body)
        case ("GET", ["responses", response_id]):
            return app.get_response(response_id, query)
        case ("DELETE", ["responses", response_id]):
            return app.delete_response(response_id)
        case ("POST", ["responses", response_id, "cancel"]):
            return app.cancel_response(response_id)
        case ("GET", ["responses", response_id, "input_items"]):
            if response_id not in app.inputs:
                return _missing(f"Response with id '{response_id}' not found.")
            return 200, _page(app.inputs[response_id], query)
        case ("POST", ["conversations"]):
            return app.create_conversation(body)
        case ("POST", ["threads"]):  # just enough Assistants for an app using both APIs
            thread_id = app.new_id("thread")
            return 200, {"id": thread_id, "object": "thread", "created_at": _EPOCH, "metadata": {}}
        case (_, ["conversations", conv_id, *_]) if conv_id not in app.conversations:
            return _missing(f"Conversation with id '{conv_id}' not found.")
        case ("GET", ["conversations", conv_id]):
            return 200, app.conversations[conv_id]
        case ("POST", ["conversations", conv_id]):
            app.conversations[conv_id]["metadata"] = body.get("metadata") or {}
            return 200, app.conversations[conv_id]
        case ("DELETE", ["conversations", conv_id]):
            del app.conversations[conv_id]
            return 200, {"id": conv_id, "object": "conversation.deleted", "deleted": True}
        case ("POST", ["conversations", conv_id, "items"]):
            added = [app.item(i, "user") for i in body.get("items") or []]
            app.items[conv_id] += added
            return 200, _page(added, {"order": "asc", "limit": "100"})
        case ("GET", ["conversations", conv_id, "items"]):
            return 200, _page(app.items[conv_id], query)
        case ("GET", ["conversations", conv_id, "items", item_id]):
            found = [i for i in app.items[conv_id] if i.get("id") == item_id]
            return (200, found[0]) if found else _missing(f"Item with id '{item_id}' not found.")
        case ("DELETE", ["conversations", conv_id, "items", item_id]):
            app.items[conv_id] = [i for i in app.items[conv_id] if i.get("id") != item_id]
            return 200, app.conversations[conv_id]
    return _missing(f"Invalid URL ({method} /v1/{'/'.join(path)})")


def _page(items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    ordered = items if query.get("order", "desc") == "asc" else items[::-1]
    after = query.get("after")
    if after:
        ids = [i.get("id") for i in ordered]
        ordered = ordered[ids.index(after) + 1 :] if after in ids else []
    limit = int(query.get("limit", "20"))
    page = ordered[:limit]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0].get("id") if page else None,
        "last_id": page[-1].get("id") if page else None,
        "has_more": len(ordered) > limit,
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: ResponsesServer


@contextmanager
def responses_server(**settings: Any) -> Iterator[ResponsesServer]:
    """Serve on 127.0.0.1 (ephemeral port); `base_url` ends in /v1."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.app = ResponsesServer(**settings)
    server.app.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    with serving(server):
        yield server.app


def record_app(source: str, folder: Path, **settings: Any) -> dict[str, Path]:
    """Record the test file `source` through the plugin (`--record --record-backend=live`)
    against a fresh server, in a pytest run (in this process) in `folder`; its cassettes by
    test name."""
    (folder / "test_app.py").write_text(source)
    with responses_server(**settings) as app:
        env = {
            "OPENAI_BASE_URL": app.base_url,
            "OPENAI_API_KEY": "sk-test-planted-0123456789abcdef",
        }
        argv = ["-q", "-p", "no:cacheprovider", "--record", "--record-backend=live"]
        code, output = run_pytest(folder, [*argv, "test_app.py"], env)
    assert code == 0, output
    return {p.stem: p for p in sorted((folder / "cassettes" / "test_app").glob("*.yaml"))}
