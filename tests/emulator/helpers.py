"""Helpers for the emulator tests: a response recorder, the schema checker, shared rules."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

from harness.emulator import EmulatorOptions
from harness.emulator.http.validation import check_instance, param_path
from tests.support.seed import display_quiz_tool
from tests.support.spec import spec


@dataclass
class Exchange:
    method: str
    path: str
    status: int = 0
    content_type: str = ""
    body: bytearray = field(default_factory=bytearray)


class Recorder:
    """ASGI middleware keeping every request line and response the app sends."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.exchanges: list[Exchange] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ex = Exchange(scope["method"], scope["path"])
        self.exchanges.append(ex)

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                ex.status = message["status"]
                headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
                ex.content_type = headers.get("content-type", "")
            elif message["type"] == "http.response.body":
                ex.body += message.get("body", b"")
            await send(message)

        await self.app(scope, receive, capture)


def _operations() -> list[tuple[str, re.Pattern[str], Any]]:
    out = []
    for key, op in spec()["operations"].items():
        method, template = key.split(" ", 1)
        path = re.sub(r"\{[^}]+\}", "[^/]+", template)
        pattern = re.compile("^/(?:v1|openai)" + path + "$")
        out.append((method, pattern, op["response"]))
    # literal paths first, so /threads/runs is not taken for /threads/{thread_id}
    out.sort(key=lambda item: item[1].pattern.count("[^/]+"))
    return out


OPERATIONS = _operations()


def _schema_name(ref: Any) -> str | None:
    if isinstance(ref, dict) and "$ref" in ref:
        return str(ref["$ref"]).rsplit("/", 1)[1]
    return None


def _relax_empty_list(payload: Any) -> Any:
    # The spec types first_id/last_id as strings; on an empty list the API sends null.
    if isinstance(payload, dict) and payload.get("object") == "list" and payload.get("data") == []:
        return {
            **payload,
            "first_id": payload["first_id"] or "",
            "last_id": payload["last_id"] or "",
        }
    return payload


def _event_validators() -> dict[str, Draft202012Validator]:
    """One validator per stream event name: the AssistantStreamEvent branch for that event."""
    schemas = spec()["components"]["schemas"]
    out = {}
    for family in (
        "ThreadStreamEvent",
        "RunStreamEvent",
        "RunStepStreamEvent",
        "MessageStreamEvent",
        "ErrorEvent",
        "DoneEvent",
    ):
        for variant in schemas[family].get("oneOf", [schemas[family]]):
            for name in variant["properties"]["event"]["enum"]:
                out[name] = Draft202012Validator({"components": spec()["components"], **variant})
    return out


EVENT_VALIDATORS = _event_validators()


def _as_the_spec_has_it(value: Any) -> Any:
    """Where the spec disagrees with what the real API sent (issue 15's table), bring the
    payload to the spec's form for those fields only, so everything else is still checked.
    The emulator's tests pin the real form of each of these fields themselves."""
    if isinstance(value, list):
        return [_as_the_spec_has_it(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _as_the_spec_has_it(v) for k, v in value.items()}
    kind = out.get("object")
    if kind == "thread.message":
        # REST messages had no status fields; a modified one had `file_ids` for `attachments`.
        for key in ("status", "incomplete_details", "completed_at", "incomplete_at"):
            out.setdefault(key, "completed" if key == "status" else None)
        if "file_ids" in out and "attachments" not in out:
            out["attachments"] = out.pop("file_ids")
    elif kind == "thread.run.step":
        # Steps had `expires_at` where the spec has `expired_at`, and no `metadata`.
        out.setdefault("expired_at", None)
        out.setdefault("metadata", {})
    elif kind == "thread.run" and out.get("instructions") is None:
        out["instructions"] = ""  # null when neither run nor assistant had any
    elif kind == "file":
        # `expires_at` and `status_details` came as null; the spec has them non-nullable.
        for key in ("expires_at", "status_details"):
            if out.get(key, 0) is None:
                del out[key]
    return out


def _azure_gateway_error(ex: Exchange) -> bool:
    """Azure's own errors (api-version, key, unknown path) have Azure's body, not the spec's."""
    if not ex.path.startswith("/openai"):
        return False
    error = json.loads(ex.body).get("error") or {}
    return set(error) == {"code", "message"} and error["code"] == str(ex.status)


def parse_sse(body: bytes) -> list[tuple[str, str]]:
    events = []
    for block in body.decode("utf-8").split("\n\n"):
        if not block.strip():
            continue
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((lines["event"], lines["data"]))
    return events


def problems(ex: Exchange) -> list[str]:
    """Schema violations of one response (empty when it validates)."""
    if ex.path.startswith("/_emulator"):
        return []
    where = f"{ex.method} {ex.path} -> {ex.status}"
    if ex.status >= 400:
        if _azure_gateway_error(ex):
            return []
        return [f"{where}: {p}" for p in check_instance(json.loads(ex.body), "ErrorResponse")]
    if ex.content_type.startswith("text/event-stream"):
        out = []
        events = parse_sse(bytes(ex.body))
        if not events or events[-1] != ("done", "[DONE]"):
            out.append(f"{where}: stream does not end with done/[DONE]")
        for name, data in events:
            if name not in EVENT_VALIDATORS:
                out.append(f"{where}: unknown stream event {name}")
                continue
            payload = data if name == "done" else _as_the_spec_has_it(json.loads(data))
            for e in EVENT_VALIDATORS[name].iter_errors({"event": name, "data": payload}):
                out.append(
                    f"{where} event {name}: {param_path(e.absolute_path)}: {e.message[:300]}"
                )
        return out
    for method, pattern, ref in OPERATIONS:
        if method == ex.method and pattern.match(ex.path):
            name = _schema_name(ref)
            if name is None:  # file content: raw bytes
                return []
            payload = _as_the_spec_has_it(_relax_empty_list(json.loads(ex.body)))
            return [f"{where}: {p}" for p in check_instance(payload, name)]
    return [f"{where}: no operation in the spec matches this path"]


FAST = EmulatorOptions(poll_after_ms=5)


QUIZ_FUNCTION = display_quiz_tool()
QUIZ_ARGUMENTS = {
    "title": "Math Quiz",
    "questions": [
        {
            "question_text": "What is the derivative of f(x) = 3x^2 + 2x - 5?",
            "question_type": "FREE_RESPONSE",
        },
        {
            "question_text": "What is the value of the integral of 2x from 0 to 1?",
            "question_type": "MULTIPLE_CHOICE",
            "choices": ["0", "1", "2", "3"],
        },
    ],
}
QUIZ_RULES = [
    {
        "name": "quiz",
        "match": {"message": "(?i)quiz", "tools": ["display_quiz"]},
        "actions": [
            {"call": {"name": "display_quiz", "arguments": QUIZ_ARGUMENTS}},
            {"say": "Here is the feedback for your responses: {{outputs.display_quiz}}"},
        ],
    }
]
FIB_CODE = (
    "def generate_fibonacci(n):\n"
    "    fib_sequence = [0, 1]\n"
    "    while len(fib_sequence) < n:\n"
    "        fib_sequence.append(fib_sequence[-1] + fib_sequence[-2])\n"
    "    return fib_sequence\n\n"
    "first_20_fibonacci = generate_fibonacci(20)\n"
    "first_20_fibonacci"
)
FIB_RULES = [
    {
        "name": "fib",
        "match": {"message": "(?i)fib+on+a+c+i", "tools": ["code_interpreter"]},
        "actions": [{"code": FIB_CODE}, {"say": "The first 20 Fibonacci numbers are: {{logs}}"}],
    }
]
