"""Errors the emulator answers with, shaped like the real API's.

`ApiError` carries an HTTP status and the `{"error": {...}}` body; the store,
the run engine and the request parser raise it and the routes render it.
`BrainError` is a bad rules document (one line naming the field).
"""

from __future__ import annotations

from typing import Any

from harness.api.failures import error_body
from harness.errors import HarnessError


class EmulatorError(HarnessError):
    """Root of the emulator's own errors."""


class BrainError(EmulatorError, ValueError):
    """A brain rules document does not match the rule format."""


class ApiError(EmulatorError):
    """An error the emulator returns to the client as the real API would."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        return error_body(self.message, self.type, self.param, self.code)


_NOUNS = {
    "asst": "assistant",
    "thread": "thread",
    "msg": "message",
    "run": "run",
    "step": "run step",
    "vs": "vector store",
    "vsfb": "vector store file batch",
}


def not_found(kind: str, object_id: str) -> ApiError:
    """404 worded like the real API: "No thread found with id 'thread_x'."."""
    if kind == "file":
        return ApiError(404, f"No such File object: {object_id}", param="id")
    return ApiError(404, f"No {_NOUNS.get(kind, kind)} found with id '{object_id}'.")


def bad_request(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def file_too_large(limit: int) -> ApiError:
    return bad_request(
        f"File is too large. The maximum is {limit} bytes.", param="file", code="file_too_large"
    )


def invalid_url(method: str, path: str) -> ApiError:
    return ApiError(404, f"Invalid URL ({method} {path})")


BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
    "sent was not valid JSON. If you have trouble figuring out how to fix this, please contact "
    "us through our help center at help.openai.com.)"
)
