"""Translate between HTTP as vcrpy sees it and the cassette's value objects.

Requests and responses arrive here as vcrpy hands them over (a `vcr.request
.Request`, a response dict with raw bytes). Bodies are parsed into data:
JSON, SSE events, multipart part summaries; compressed bodies are decoded.
Only headers that matter to the Assistants protocol are kept, plus the
headers that may carry a credential (`credentials.learns_*_header`), which
`redact` learns secret values from and then drops.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import gzip
import hashlib
import importlib
import zlib
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from harness.api import sse
from harness.cassette.credentials import (
    PROTOCOL_REQUEST_HEADERS,
    PROTOCOL_RESPONSE_HEADERS,
    learns_request_header,
    learns_response_header,
)
from harness.cassette.model import Request, Response

_TEXT_LIMIT = 1 << 20


def request_from_http(
    method: str,
    url: str,
    headers: Any,
    body: bytes | None,
    base_path: str,
    *,
    legacy_multipart: bool = False,
) -> Request:
    """A cassette `Request` from the parts of an HTTP request. `legacy_multipart`: file
    parts summarised as harness 0.2 did, without the content's trailing line breaks (how
    cassettes recorded then hold them)."""
    parts = urlsplit(url)
    path = parts.path
    if base_path and (path == base_path or path.startswith(base_path + "/")):
        path = path[len(base_path) :] or "/"
    raw = getattr(headers, "raw", None)  # httpx's header bytes: the same for each request
    if isinstance(raw, list) and raw and raw[-1][0] == b"content-length":
        raw = raw[:-1]  # where httpx puts it; a cassette does not keep it
    kept, content_type = _kept_from_raw(tuple(raw)) if isinstance(raw, list) else (None, "")
    if kept is None:
        kept, content_type = _kept_headers(header_items(headers))
    kept = dict(kept)  # the request's own
    fields: dict[str, Any] = {}
    if body:
        if content_type.startswith("multipart/form-data"):
            fields["multipart"] = tuple(_multipart_parts(body, content_type, legacy_multipart))
        else:
            fields.update(_data_fields(body, content_type))
            if "base64" in fields:
                digest = hashlib.sha256(body).hexdigest()
                fields = {"text": f"<binary body: {len(body)} bytes, sha256 {digest}>"}
    return Request(
        method=method.upper(),
        path=path,
        query=tuple(parse_qsl(parts.query, keep_blank_values=True)) if parts.query else (),
        headers=kept,
        **fields,
    )


def _kept_headers(items: list[tuple[str, str]]) -> tuple[dict[str, str], str]:
    """The headers a cassette keeps, and the content type as sent. A repeated header is
    joined with ", ", as httpx and vcrpy's dict do."""
    kept: dict[str, str] = {}
    for name, value in items:
        key = _kept_request_header(name)
        if key is not None:
            kept[key] = f"{kept[key]}, {value}" if key in kept else value
    content_type = str(kept.get("content-type", ""))
    if "content-type" in kept:
        kept["content-type"] = kept["content-type"].split(";", 1)[0].strip()
    return kept, content_type


@functools.lru_cache(maxsize=256)
def _kept_from_raw(
    raw: tuple[tuple[bytes, bytes], ...],
) -> tuple[dict[str, str], str] | tuple[None, str]:
    """`_kept_headers` of httpx's header bytes, memoized: a client sends the same headers
    with every request but a body's length (callers copy the dict it returns). None where
    they are not ASCII (httpx's own decoding then applies)."""
    try:
        items = [(name.decode("ascii"), value.decode("ascii")) for name, value in raw]
    except UnicodeDecodeError:
        return None, ""
    return _kept_headers(items)


@functools.lru_cache(maxsize=1024)
def _kept_request_header(name: str) -> str | None:
    """The lower-case name of a request header a cassette keeps, or None (memoized: a client
    sends the same few names with every request)."""
    name = name.lower()
    return name if name in PROTOCOL_REQUEST_HEADERS or learns_request_header(name) else None


def response_from_vcr(data: dict[str, Any]) -> Response:
    """A cassette `Response` from vcrpy's serialized response dict."""
    headers = {k.lower(): list(v) for k, v in data["headers"].items()}
    body = data["body"]["string"] or b""
    if isinstance(body, str):
        body = body.encode()
    body = _decoded(body, headers)
    content_type = ",".join(headers.get("content-type", []))
    kept = {
        name: ", ".join(values)
        for name, values in headers.items()
        if name in PROTOCOL_RESPONSE_HEADERS or learns_response_header(name)
    }
    status = data["status"]["code"]
    if headers.get("content-encoding"):
        # Still encoded (an encoding no installed library decodes): kept as sent, with its
        # header, so replay serves the same bytes the client could decode when recording.
        kept["content-encoding"] = ", ".join(headers["content-encoding"])
        return Response(status=status, headers=kept, base64=base64.b64encode(body).decode())
    if content_type.startswith("text/event-stream"):
        return Response(status=status, headers=kept, events=sse.parse(body))
    return Response(status=status, headers=kept, **_data_fields(body, content_type))


def _decoded(body: bytes, headers: dict[str, list[str]]) -> bytes:
    """`body` without the content encodings an installed library decodes, last applied first;
    `headers` loses each encoding taken off."""
    encodings = [
        e.strip().lower() for v in headers.get("content-encoding", []) for e in v.split(",")
    ]
    encodings = [e for e in encodings if e and e != "identity"]
    while encodings:
        decoder = _decoders().get(encodings[-1])
        if decoder is None:
            break
        try:
            body = decoder(body)
        except Exception:  # whatever a codec raises, the bytes stay as sent
            break
        encodings.pop()
    if encodings:
        headers["content-encoding"] = encodings
    else:
        headers.pop("content-encoding", None)
    return body


@functools.cache
def _decoders() -> dict[str, Callable[[bytes], bytes]]:
    found: dict[str, Callable[[bytes], bytes]] = {"gzip": gzip.decompress, "deflate": _inflate}
    for encoding, module, function in (
        ("zstd", "compression.zstd", "decompress"),  # Python 3.14
        ("zstd", "zstandard", "decompress"),
        ("br", "brotli", "decompress"),
        ("br", "brotlicffi", "decompress"),
    ):
        if encoding not in found:
            with contextlib.suppress(ImportError, AttributeError):
                found[encoding] = getattr(importlib.import_module(module), function)
    return found


def _inflate(body: bytes) -> bytes:
    """HTTP's `deflate`: zlib-wrapped as the standard says, or raw as some servers send it."""
    try:
        return zlib.decompress(body)
    except zlib.error:
        return zlib.decompress(body, -zlib.MAX_WBITS)


def response_to_http(response: Response) -> tuple[list[tuple[str, str]], bytes]:
    """Headers and body bytes to serve for a recorded response."""
    headers = list(response.headers.items())
    if response.events is not None:
        body = sse.render(response.events)
    elif response.body is not None:
        body = orjson.dumps(response.body)
    elif response.text is not None:
        body = response.text.encode()
    elif response.base64 is not None:
        body = base64.b64decode(response.base64)
    else:
        body = b""
    headers.append(("content-length", str(len(body))))
    return headers, body


def _data_fields(body: bytes, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    if "json" in content_type or body[:1] in (b"{", b"["):
        try:
            return {"body": orjson.loads(body)}
        except orjson.JSONDecodeError:
            pass
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(body).decode()}
    return {"text": text}


def _multipart_parts(body: bytes, content_type: str, legacy: bool = False) -> list[dict[str, Any]]:
    """Summaries of multipart parts: a file part by name, size and hash of its content,
    exactly (each part sits between one CRLF after the boundary line and one before the
    next boundary)."""
    boundary = ""
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key == "boundary":
            boundary = value.strip('"')
    if not boundary:
        return [{"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}]
    parts = []
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        if legacy:
            chunk = chunk.strip(b"\r\n")
        else:
            chunk = chunk.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, _, content = chunk.partition(b"\r\n\r\n")
        part: dict[str, Any] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "content-disposition":
                for item in value.split(";")[1:]:
                    k, _, v = item.strip().partition("=")
                    if k in ("name", "filename"):
                        part[k] = v.strip('"')
            elif key.lower() == "content-type":
                part["content_type"] = value.strip()
        if "filename" in part:
            part["sha256"] = hashlib.sha256(content).hexdigest()
            part["size"] = len(content)
        else:
            part["text"] = content.decode("utf-8", "replace")[:_TEXT_LIMIT]
        parts.append(part)
    return parts


def header_items(headers: Any) -> list[tuple[str, str]]:
    raw = getattr(headers, "raw", None)
    if isinstance(raw, list):
        # httpx's `Headers`: its `multi_items()` looks its `encoding` property up twice per
        # header, the most expensive step of replaying a poll. The bytes decode the same way:
        # httpx picks ASCII when every header is ASCII, else its own fallback.
        try:
            return [(name.decode("ascii"), value.decode("ascii")) for name, value in raw]
        except UnicodeDecodeError:
            encoding = headers.encoding
            return [(name.decode(encoding), value.decode(encoding)) for name, value in raw]
    if hasattr(headers, "multi_items"):
        return list(headers.multi_items())
    items = []
    for name, value in headers.items():
        for one in value if isinstance(value, list) else [value]:
            items.append((name, one))
    return items


def _header(headers: Any, name: str) -> str:
    for key, value in header_items(headers):
        if key.lower() == name:
            return str(value)
    return ""
