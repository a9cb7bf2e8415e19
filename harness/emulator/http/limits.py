"""The most the emulator reads of one request, refused while it is read.

A JSON body (`EmulatorOptions.max_body_bytes`) and a multipart upload
(`max_file_bytes`, plus `FORM_ALLOWANCE` for the form's other fields) are
refused as soon as a declared `Content-Length` or the bytes received so far
pass the limit: nothing larger is held in memory or spooled to disk. The rest
of a refused body is discarded by the server as it arrives.
"""

from __future__ import annotations

import unicodedata

from starlette.requests import Request
from starlette.types import Message

from harness.emulator.errors import ApiError, bad_request

# The other fields of an upload form: at most 16 fields of at most 64 KiB each.
MAX_FORM_FIELDS = 16
MAX_FIELD_BYTES = 64 * 1024
FORM_ALLOWANCE = MAX_FORM_FIELDS * MAX_FIELD_BYTES
# A file name as file systems take it (NAME_MAX), in UTF-8 bytes.
MAX_FILENAME_BYTES = 255
# A query parameter is an id (a cursor), a name or a choice: a few dozen characters.
MAX_QUERY_CHARS = 256


def body_too_large(limit: int) -> ApiError:
    return bad_request(
        f"Request body too large: the maximum is {limit} bytes.", code="request_too_large"
    )


def declared_length(request: Request) -> int | None:
    """The request's `Content-Length`, or None when it has none (chunked) or it is not a
    number (the server refuses those before the app sees them)."""
    raw = request.headers.get("content-length")
    if raw is None or not raw.isdigit():
        return None
    return int(raw)


async def read_body(request: Request, limit: int) -> bytearray:
    """The whole body, refused (`request_too_large`) once it passes `limit` bytes."""
    declared = declared_length(request)
    if declared is not None and declared > limit:
        raise body_too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise body_too_large(limit)
    return body


def capped(request: Request, limit: int, refusal: ApiError) -> Request:
    """The request, reading whose body raises `refusal` once more than `limit` bytes came
    (at once when its `Content-Length` says so)."""
    declared = declared_length(request)
    if declared is not None and declared > limit:
        raise refusal
    receive = request.receive
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise refusal
        return message

    return Request(request.scope, counted)


_PARSERS = {"starlette", "python_multipart", "multipart"}  # whose reasons are shown


def malformed_form(exc: BaseException) -> ApiError:
    """The 400 for a multipart body the form parser refused (`exc`, as Starlette raised it),
    with the parsers' own reasons."""
    reasons: list[str] = []
    cause: BaseException | None = exc
    while cause is not None and type(cause).__module__.split(".")[0] in _PARSERS:
        reason = str(getattr(cause, "detail", None) or getattr(cause, "message", cause))
        if reason.rstrip(".") not in reasons:
            reasons.append(reason.rstrip("."))
        cause = cause.__cause__ or cause.__context__
    if any("Maximum header size" in reason for reason in reasons):
        return bad_request(
            "Could not parse multipart form data: a part's header line is too long (a file "
            f"name is at most {MAX_FILENAME_BYTES} bytes).",
            param="file",
            code="invalid_multipart",
        )
    return bad_request(
        "Could not parse multipart form data: " + (": ".join(reasons) or "malformed") + ".",
        code="invalid_multipart",
    )


def check_filename(name: str) -> str:
    """An uploaded file's name, or a 400 naming the `file` field: no control characters
    (a NUL cannot name a file), at most `MAX_FILENAME_BYTES` in UTF-8. Directories in the
    name are kept as sent; where the file is written, only its last part is used."""
    bad = next((c for c in name if unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        raise bad_request(
            f"Invalid 'file': the filename contains the control character U+{ord(bad):04X}.",
            param="file",
            code="invalid_filename",
        )
    size = len(name.encode("utf-8", errors="surrogatepass"))
    if size > MAX_FILENAME_BYTES:
        raise bad_request(
            f"Invalid 'file': the filename is {size} bytes long; the maximum is "
            f"{MAX_FILENAME_BYTES} bytes.",
            param="file",
            code="invalid_filename",
        )
    return name


def shown(value: str, most: int = 100) -> str:
    """A value as an error message quotes it: at most `most` characters."""
    return value if len(value) <= most else value[:most] + "…"


def bounded_query(name: str, value: str | None) -> str | None:
    """A query parameter's text (a cursor such as `after`: an id), at most
    `MAX_QUERY_CHARS` long."""
    if value is not None and len(value) > MAX_QUERY_CHARS:
        raise bad_request(
            f"Invalid '{name}': string too long. Expected a string with maximum length "
            f"{MAX_QUERY_CHARS}, but got a string with length {len(value)} instead.",
            param=name,
            code="string_above_max_length",
        )
    return value
