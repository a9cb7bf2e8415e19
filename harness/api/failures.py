"""How both APIs word what went wrong: an HTTP error's body and headers, and the error a run
or response that failed carries.

The fault overlays answer with these, and so does the emulator, so a retry loop meets the
same wording and the same `retry-after` whichever of them answered.
"""

from __future__ import annotations

from typing import Any

HTTP_ERRORS: dict[int, tuple[str, str, str | None]] = {
    429: (
        "Rate limit reached for requests. Please try again in 1s.",
        "requests",
        "rate_limit_exceeded",
    ),
    500: (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    ),
    503: ("The server is overloaded or not ready yet.", "server_error", None),
}
"""status -> (message, type, code) of the API's error answer."""
RETRY_AFTER_STATUSES = frozenset({429, 503})
"""Statuses the API answers with a `retry-after` header (seconds)."""
RETRY_AFTER_SECONDS = "1"

FAILURE_MESSAGES = {
    "server_error": "Sorry, something went wrong.",
    "rate_limit_exceeded": (
        "You exceeded your current quota, please check your plan and billing details."
    ),
}
"""code -> the message of a failed run's `last_error` or a failed response's `error`."""


def error_body(
    message: str, type: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """The `{"error": {...}}` body of an error answer."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def http_error(status: int) -> dict[str, Any]:
    """The body the API answers `status` (one of `HTTP_ERRORS`) with."""
    message, kind, code = HTTP_ERRORS[status]
    return error_body(message, kind, None, code)


def error_headers(status: int) -> dict[str, str]:
    """Headers an error answer of `status` carries besides its content type."""
    return {"retry-after": RETRY_AFTER_SECONDS} if status in RETRY_AFTER_STATUSES else {}


def failure(code: str | None, message: str | None = None) -> dict[str, str]:
    """The error a failed run or response carries: `message`, or the API's words for `code`
    (`server_error` when none is given)."""
    code = code or "server_error"
    return {
        "code": code,
        "message": message or FAILURE_MESSAGES.get(code, FAILURE_MESSAGES["server_error"]),
    }
