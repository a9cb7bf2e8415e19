"""HTTP plumbing shared by the routes: JSON rendering, errors, body and query parsing."""

from __future__ import annotations

import functools
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from harness.emulator.errors import BAD_JSON, ApiError, bad_request
from harness.emulator.store import check_metadata
from harness.emulator.validation import check_body

if TYPE_CHECKING:
    from harness.emulator.app import Emulator

log = logging.getLogger(__name__)
Handler = Callable[..., Awaitable[Response]]

MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
    "username) if you're accessing the API from your browser and are prompted for a username. You "
    "can obtain an API key from https://platform.openai.com/account/api-keys."
)
MISSING_BETA = (
    "You must provide the 'OpenAI-Beta' header to access the Assistants API. Please try again by "
    "setting the header 'OpenAI-Beta: assistants=v2'."
)
V1_BETA = (
    "The v1 Assistants API has been deprecated. Please try again by setting the header "
    "'OpenAI-Beta: assistants=v2'."
)


def base_headers(started: float) -> dict[str, str]:
    return {
        "x-request-id": "req_" + secrets.token_hex(16),
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
    headers = base_headers(started)
    if error.status == 429:
        headers["retry-after"] = "1"
    return json_response(error.body(), error.status, headers)


def endpoint(operation: str, *, beta: bool = True) -> Callable[[Handler], Handler]:
    """Wrap a handler: auth and beta-header checks, request id headers, errors as API errors.

    `operation` ("POST /threads/{thread_id}/runs") names the spec operation the
    handler implements; the routes read it back for body validation.
    """

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def run(*args: Any) -> Response:
            request: Request = args[-1]  # handlers are methods: (self, request)
            started = time.monotonic()
            try:
                auth = request.headers.get("authorization", "")
                if not auth.lower().startswith("bearer ") or not auth[7:].strip():
                    raise ApiError(401, MISSING_KEY)
                if beta:
                    value = request.headers.get("openai-beta", "")
                    if "assistants=v1" in value:
                        raise bad_request(V1_BETA, code="invalid_beta")
                    if "assistants=v2" not in value:
                        raise bad_request(MISSING_BETA, code="invalid_beta")
                request.state.operation = operation
                request.state.started = started
                response = await handler(*args)
            except ApiError as exc:
                return error_response(exc, started)
            except Exception:  # a bug in the emulator: answer like the real API's 500
                log.exception("emulator error on %s %s", request.method, request.url.path)
                error = ApiError(
                    500,
                    "The server had an error while processing your request. Sorry about that!",
                    type="server_error",
                )
                return error_response(error, started)
            for key, value in base_headers(started).items():
                response.headers.setdefault(key, value)
            return response

        return run

    return wrap


async def read_json(request: Request, max_bytes: int) -> dict[str, Any]:
    """The JSON body, checked against the operation's request schema (400 on any problem)."""
    raw = await request.body()
    if len(raw) > max_bytes:
        raise bad_request(
            f"Request body too large: {len(raw)} bytes. The maximum is {max_bytes} bytes.",
            code="request_too_large",
        )
    if not raw.strip():
        body: Any = {}
    else:
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise bad_request(BAD_JSON) from None
    check_body(request.state.operation, body)
    result: dict[str, Any] = body
    return result


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
            f"{value} instead.",
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


def query_choice(
    request: Request, name: str, default: str | None, choices: tuple[str, ...]
) -> str | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw not in choices:
        supported = (
            " and ".join(f"'{c}'" for c in choices)
            if len(choices) <= 2
            else ", ".join(f"'{c}'" for c in choices)
        )
        raise bad_request(
            f"Invalid value: '{raw}'. Supported values are: {supported}.",
            param=name,
            code="invalid_value",
        )
    return raw


def page_args(request: Request, *, limit_max: int = 100, limit_default: int = 20) -> dict[str, Any]:
    return {
        "limit": query_int(request, "limit", limit_default, 1, limit_max),
        "order": query_choice(request, "order", "desc", ("asc", "desc")),
        "after": request.query_params.get("after") or None,
        "before": request.query_params.get("before") or None,
    }


INCLUDE_CONTENT = "step_details.tool_calls[*].file_search.results[*].content"


def include_content(request: Request) -> bool:
    values = request.query_params.getlist("include[]") + request.query_params.getlist("include")
    for value in values:
        if value != INCLUDE_CONTENT:
            raise bad_request(
                f"Invalid value: '{value}'. Supported values are: '{INCLUDE_CONTENT}'.",
                param="include",
                code="invalid_value",
            )
    return bool(values)


class RouteGroup:
    """What every group of routes shares: the emulator, its store, JSON bodies."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    @property
    def store(self) -> Any:
        return self.emu.store

    async def body(self, request: Request) -> dict[str, Any]:
        body = await read_json(request, self.emu.options.max_body_bytes)
        if "metadata" in body:
            body["metadata"] = check_metadata(body["metadata"])
        return body
