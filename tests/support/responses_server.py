"""A scripted loopback Responses API server, for recording Responses ports before the emulator
serves that API.

Rules are matched against the newest user text of a request, first match wins:
`{"match": regex, "say": text}`, `{"match": ..., "call": {"name", "arguments"}, "then": text}`
(the function is called when the request offers it; `then` answers its output, `{output}` in
it replaced by the output sent back), `{"match": ..., "say": ..., "cite": file name, "store": id}`
(the answer cites the file when the request searches that vector store), `{"match": ..., "fail": code}`. Responses are kept, so
`previous_response_id` and `conversation` chains work; `stream: true` answers as SSE.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from typing import Any

from tests.support.echo_server import EchoHandler

Rule = dict[str, Any]


class _Handler(EchoHandler):
    server: _Server

    def do_POST(self) -> None:
        raw, echo = self.read_echo()
        body = json.loads(raw or b"{}")
        path = str(echo["path"]).removeprefix("/v1")
        if path == "/responses":
            answer = self.server.create(body)
            if "error" in answer and "object" not in answer:
                return self.reply(400, answer)
            if body.get("stream"):
                return self.stream(answer)
            return self.reply(200, answer)
        if path == "/conversations":
            ident = f"conv_{next(self.server.ids)}"
            return self.reply(200, {"id": ident, "object": "conversation", "metadata": {}})
        return self.reply(404, {"error": {"message": f"no route {path}", "code": "not_found"}})

    def do_GET(self) -> None:
        _, echo = self.read_echo()
        ident = str(echo["path"]).rsplit("/", 1)[-1]
        found = self.server.responses.get(ident)
        if found is None:
            return self.reply(404, {"error": {"message": "not found", "code": "not_found"}})
        return self.reply(200, found)

    def reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def stream(self, answer: dict[str, Any]) -> None:
        """The answer as the API streams it: each item added, its text or arguments in one
        delta, done; the response created first and completed (or failed) last."""
        started = {**answer, "status": "in_progress", "output": []}
        events: list[dict[str, Any]] = [{"type": "response.created", "response": started}]
        for index, item in enumerate(answer["output"]):
            at = {"output_index": index, "item_id": item["id"]}
            if item["type"] == "message":
                empty = {**item, "status": "in_progress", "content": []}
                events.append(
                    {"type": "response.output_item.added", "output_index": index, "item": empty}
                )
                part = {"type": "output_text", "text": "", "annotations": []}
                text = item["content"][0]["text"]
                events += [
                    {"type": "response.content_part.added", **at, "content_index": 0, "part": part},
                    {"type": "response.output_text.delta", **at, "content_index": 0, "delta": text},
                    {"type": "response.output_text.done", **at, "content_index": 0, "text": text},
                    {
                        "type": "response.content_part.done",
                        **at,
                        "content_index": 0,
                        "part": item["content"][0],
                    },
                ]
            else:
                empty = {**item, "status": "in_progress", "arguments": ""}
                events.append(
                    {"type": "response.output_item.added", "output_index": index, "item": empty}
                )
                events += [
                    {
                        "type": "response.function_call_arguments.delta",
                        **at,
                        "delta": item["arguments"],
                    },
                    {
                        "type": "response.function_call_arguments.done",
                        **at,
                        "arguments": item["arguments"],
                    },
                ]
            events.append(
                {"type": "response.output_item.done", "output_index": index, "item": item}
            )
        last = "response.completed" if answer["status"] == "completed" else "response.failed"
        events.append({"type": last, "response": answer})
        for number, event in enumerate(events):
            event["sequence_number"] = number
        data = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    def __init__(self, rules: list[Rule], files: dict[str, str]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.rules = rules
        self.files = files
        self.ids = itertools.count(1)
        self.responses: dict[str, dict[str, Any]] = {}
        self.pending: dict[str, Rule] = {}
        """Function call id -> the rule that made it."""
        self.lock = threading.Lock()

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self._create(body)

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        items = body.get("input")
        items = [{"role": "user", "content": items}] if isinstance(items, str) else items or []
        outputs = [i for i in items if i.get("type") == "function_call_output"]
        status, error, output = "completed", None, []
        unanswered = [
            i["call_id"]
            for i in self.responses.get(body.get("previous_response_id") or "", {}).get(
                "output", []
            )
            if i.get("type") == "function_call"
        ]
        if unanswered and not outputs:  # as the API does
            message = f"No tool output found for function call {unanswered[0]}."
            return {"error": {"message": message, "type": "invalid_request_error", "code": None}}
        if outputs:
            rule = self.pending.get(outputs[0]["call_id"], {})
            text = str(rule.get("then", "")).replace("{output}", str(outputs[0]["output"]))
            output.append(_message(text))
        else:
            rule = self._rule(_last_user_text(items))
            tools = body.get("tools") or []
            offered = {t.get("name"): t for t in tools}
            stores = {
                store
                for tool in tools
                if tool.get("type") == "file_search"
                for store in tool.get("vector_store_ids") or []
            }
            if "fail" in rule:
                status, error = "failed", {"code": rule["fail"], "message": "Sorry."}
            elif "call" in rule and rule["call"]["name"] in offered:
                call_id = f"call_{next(self.ids)}"
                self.pending[call_id] = rule
                output.append(
                    {
                        "type": "function_call",
                        "id": f"fc_{next(self.ids)}",
                        "call_id": call_id,
                        "name": rule["call"]["name"],
                        "arguments": json.dumps(
                            _fit(rule["call"]["arguments"], offered[rule["call"]["name"]])
                        ),
                        "status": "completed",
                    }
                )
            else:
                cite = rule.get("cite") if rule.get("store") in stores else None
                output.append(_message(str(rule.get("say", "")), cite, self.files))
        ident = f"resp_{next(self.ids)}"
        conversation = body.get("conversation")
        answer = {
            "id": ident,
            "object": "response",
            "created_at": 1750000000,
            "status": status,
            "error": error,
            "incomplete_details": None,
            "instructions": body.get("instructions"),
            "model": body.get("model"),
            "output": output,
            "tools": body.get("tools") or [],
            "previous_response_id": body.get("previous_response_id"),
            "conversation": {"id": conversation} if isinstance(conversation, str) else None,
        }
        self.responses[ident] = answer
        return answer

    def _rule(self, text: str) -> Rule:
        for rule in self.rules:
            if re.search(rule["match"], text):
                return rule
        return {"say": "I do not know."}


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


def _last_user_text(items: list[dict[str, Any]]) -> str:
    for item in reversed(items):
        if item.get("role") == "user":
            content = item.get("content")
            if isinstance(content, str):
                return content
            return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _message(text: str, cite: str | None = None, files: dict[str, str] | None = None) -> Any:
    """An assistant message item (its id made unique by the caller's counter)."""
    annotations = []
    if cite:
        file_id = next((i for i, n in (files or {}).items() if n == cite), "file-x")
        annotations.append(
            {"type": "file_citation", "file_id": file_id, "filename": cite, "index": len(text)}
        )
    return {
        "type": "message",
        "id": "msg_1",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": annotations}],
    }


@contextmanager
def responses_server(rules: list[Rule], files: dict[str, str] | None = None) -> Iterator[str]:
    """Serve `rules` on loopback; yields the base URL (`http://127.0.0.1:PORT/v1`)."""
    server = _Server(rules, files or {})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
