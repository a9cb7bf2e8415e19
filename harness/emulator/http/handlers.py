"""The HTTP face of the backend: parse a request, call the backend, render its answer.

There is one handler for every operation; the API's shape (`shapes.py`:
OpenAI's `/v1` or Azure's `/openai`) says what credentials a request needs.
What it parses is read once from the backend method's signature (`body`,
`page`, `upload`, `include_content`, path and query parameters by name); what
it renders follows from what the method returns (a JSON object, bytes, an
`EventStream`). Nothing here changes state.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from harness.api import BETA_VALUE, Match, Operation
from harness.api.failures import HTTP_ERRORS, error_headers
from harness.emulator.backend.clock import UNSEEDED
from harness.emulator.backend.inputs import Page, Upload
from harness.emulator.backend.service import AssistantsBackend
from harness.emulator.errors import BAD_JSON, ApiError, bad_request, file_too_large
from harness.emulator.http.limits import (
    FORM_ALLOWANCE,
    MAX_FIELD_BYTES,
    MAX_FORM_FIELDS,
    bounded_query,
    capped,
    check_filename,
    malformed_form,
    read_body,
    shown,
)
from harness.emulator.http.shapes import ApiShape
from harness.emulator.http.sse import EventStream
from harness.emulator.http.validation import check_body

log = logging.getLogger(__name__)
Parser = Callable[[Request, Match, AssistantsBackend], Awaitable[Any]]

MISSING_BETA = (
    "You must provide the 'OpenAI-Beta' header to access the Assistants API. Please try again by "
    "setting the header 'OpenAI-Beta: assistants=v2'."
)
V1_BETA = (
    "The v1 Assistants API has been deprecated. Please try again by setting the header "
    "'OpenAI-Beta: assistants=v2'."
)
INCLUDE_CONTENT = "step_details.tool_calls[*].file_search.results[*].content"
# Deeper JSON is refused: validating or re-encoding it would exhaust the stack (orjson
# encodes at most 254 levels), and no request of the API needs more than a few dozen.
MAX_JSON_DEPTH = 100


def base_headers(started: float) -> dict[str, str]:
    return {
        "x-request-id": f"req_{UNSEEDED.getrandbits(128):032x}",
        "openai-version": "2020-10-01",
        "openai-processing-ms": str(max(1, int((time.monotonic() - started) * 1000))),
    }


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(payload), status_code=status, media_type="application/json", headers=headers
    )


def error_response(error: ApiError, started: float) -> Response:
    headers = {**base_headers(started), **error_headers(error.status)}
    return json_response(error.body(), error.status, headers)


class OperationHandler:
    """Serves one operation: checks credentials and headers, parses, dispatches, renders."""

    def __init__(self, operation: Operation, backend: AssistantsBackend) -> None:
        self.operation = operation
        self.backend = backend
        method = getattr(backend, operation.name)
        self.parsers = {
            name: parser_for(name, operation) for name in inspect.signature(method).parameters
        }

    async def __call__(self, request: Request, match: Match, shape: ApiShape) -> Response:
        started = time.monotonic()
        try:
            shape.admit(request)
            if shape.requires_beta:
                self._check_beta(request)
            arguments = {
                name: await parse(request, match, self.backend)
                for name, parse in self.parsers.items()
            }
            result = await self.backend.dispatch(self.operation.name, arguments)
        except ApiError as exc:
            return error_response(exc, started)
        except Exception:  # a bug in the emulator: answer like the real API's 500
            log.exception("emulator error on %s %s", request.method, request.url.path)
            message, kind, _ = HTTP_ERRORS[500]
            error = ApiError(500, message, type=kind)
            return error_response(error, started)
        return self._render(result, started)

    def _check_beta(self, request: Request) -> None:
        if self.operation.beta:
            value = request.headers.get("openai-beta", "")
            if "assistants=v1" in value:
                raise bad_request(V1_BETA, code="invalid_beta")
            if BETA_VALUE not in value:
                raise bad_request(MISSING_BETA, code="invalid_beta")

    def _render(self, result: Any, started: float) -> Response:
        headers = base_headers(started)
        if isinstance(result, EventStream):
            headers["cache-control"] = "no-cache"
            return StreamingResponse(
                result.frames(), media_type="text/event-stream; charset=utf-8", headers=headers
            )
        if isinstance(result, bytes):
            return Response(result, media_type="application/octet-stream", headers=headers)
        poll_after = self.backend.options.poll_after_ms
        if poll_after is not None and self.operation.polled:
            headers["openai-poll-after-ms"] = str(poll_after)
        return json_response(result, headers=headers)


# --- parsers, by parameter name ------------------------------------------------


def parser_for(name: str, operation: Operation) -> Parser:
    if name in operation.params:
        return _path_param(name)
    if name == "body":
        return _body
    if name == "upload":
        return _upload
    if name == "page":
        return _page_parser(operation)
    if name == "include_content":
        return _include_content
    if name in operation.query:
        return _query_parser(name, operation.query[name])
    raise TypeError(f"{operation.name}: no parser for parameter {name!r}")


def _path_param(name: str) -> Parser:
    async def parse(request: Request, match: Match, backend: AssistantsBackend) -> str:
        return match.params[name]

    return parse


async def _body(request: Request, match: Match, backend: AssistantsBackend) -> dict[str, Any]:
    """The JSON body, checked against the operation's request schema (400 on any problem)."""
    raw = await read_body(request, backend.options.max_body_bytes)
    if not raw.strip():
        body: Any = {}
    else:
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise bad_request(BAD_JSON) from None
    if nesting_exceeds(body, MAX_JSON_DEPTH):
        raise bad_request(
            f"Invalid JSON body: nested deeper than {MAX_JSON_DEPTH} levels.", code="invalid_json"
        )
    check_body(match.name, body)
    result: dict[str, Any] = body
    return result


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Whether arrays/objects nest deeper than `limit` (without recursing)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in _children(item))
    return False


def _children(item: dict[str, Any] | list[Any]) -> Any:
    return item.values() if isinstance(item, dict) else item


async def _upload(request: Request, match: Match, backend: AssistantsBackend) -> Upload:
    """The multipart form: one `file` and a few short text fields. A malformed body is a
    400; so is a file or a body over the limit, refused while it is read."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise bad_request(
            "Invalid content type. Expected multipart/form-data.", code="invalid_content_type"
        )
    limit = backend.options.max_file_bytes
    reading = capped(request, limit + FORM_ALLOWANCE, file_too_large(limit))
    try:
        form = await reading.form(
            max_files=1, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FIELD_BYTES
        )
    except (HTTPException, MultiPartException) as exc:
        raise malformed_form(exc) from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise bad_request(
                "Missing required parameter: 'file'.",
                param="file",
                code="missing_required_parameter",
            )
        if upload.size is not None and upload.size > limit:
            raise file_too_large(limit)
        filename = check_filename(upload.filename or "")
        content = await upload.read(limit + 1)
        fields = {k: v for k, v in form.multi_items() if k != "file" and isinstance(v, str)}
        return Upload(filename, content, fields)
    finally:
        await form.close()


def _page_parser(operation: Operation) -> Parser:
    limit_schema = operation.query.get("limit") or {}
    default = int(limit_schema.get("default", 20))
    high = max(100, default)  # /files lists up to 10,000 at once

    async def parse(request: Request, match: Match, backend: AssistantsBackend) -> Page:
        return Page(
            limit=query_int(request, "limit", default, 1, high),
            order=query_choice(request, "order", ("asc", "desc")) or "desc",
            after=bounded_query("after", request.query_params.get("after") or None),
            before=bounded_query("before", request.query_params.get("before") or None)
            if "before" in operation.query
            else None,
        )

    return parse


async def _include_content(request: Request, match: Match, backend: AssistantsBackend) -> bool:
    values = request.query_params.getlist("include[]") + request.query_params.getlist("include")
    for value in values:
        if value != INCLUDE_CONTENT:
            raise bad_request(
                f"Invalid value: '{shown(value)}'. Supported values are: '{INCLUDE_CONTENT}'.",
                param="include",
                code="invalid_value",
            )
    return bool(values)


def _query_parser(name: str, schema: dict[str, Any]) -> Parser:
    choices = tuple(schema.get("enum") or ())
    if schema.get("type") == "array":  # `include[]=a&include[]=b` (or `include=a`)

        async def parse_list(
            request: Request, match: Match, backend: AssistantsBackend
        ) -> list[str]:
            params = request.query_params
            return params.getlist(f"{name}[]") + params.getlist(name)

        return parse_list

    async def parse(request: Request, match: Match, backend: AssistantsBackend) -> str | None:
        if choices:
            return query_choice(request, name, choices)
        return bounded_query(name, request.query_params.get(name) or None)

    return parse


def query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(
            f"Invalid type for '{name}': expected an integer, but got a string instead.",
            param=name,
            code="invalid_type",
        ) from None
    if value > high:
        raise bad_request(
            f"Invalid '{name}': integer above maximum value. Expected a value <= {high}, but got "
            f"{shown(raw)} instead.",
            param=name,
            code="integer_above_max_value",
        )
    if value < low:
        raise bad_request(
            f"Invalid '{name}': integer below minimum value. Expected a value >= {low}, but got "
            f"{value} instead.",
            param=name,
            code="integer_below_min_value",
        )
    return value


def query_choice(request: Request, name: str, choices: tuple[str, ...]) -> str | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw not in choices:
        supported = (
            " and ".join(f"'{c}'" for c in choices)
            if len(choices) <= 2
            else ", ".join(f"'{c}'" for c in choices)
        )
        raise bad_request(
            f"Invalid value: '{shown(raw)}'. Supported values are: {supported}.",
            param=name,
            code="invalid_value",
        )
    return raw
