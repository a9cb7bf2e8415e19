"""The emulator's own endpoints under `/_emulator/`: health, reset, brain. Never recorded.

Rules arrive as a JSON or YAML document, never as a path: reading files is for
trusted callers (`--brain FILE`, the plugin), not for whoever can send a
request. Nor does a `model` section: which endpoint the emulator talks to, and
which of its environment variables it sends there as a key, come only from the
process's own configuration (`--brain FILE`, `--model*`, the plugin's marker,
ini and brain files); rules sent here keep the model the emulator started with.
`harness.emulator.http.boundary` decides who may send a request at all.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from harness import safe_yaml
from harness.emulator.backend.service import AssistantsBackend
from harness.emulator.engine.brain import BRAIN_SCHEMA, Brain, parse_rules
from harness.emulator.errors import ApiError, BrainError
from harness.emulator.http.handlers import (
    MAX_JSON_DEPTH,
    error_response,
    json_response,
    nesting_exceeds,
)
from harness.emulator.http.limits import read_body

PREFIX = "/_emulator/"


class ControlHandler:
    def __init__(self, backend: AssistantsBackend) -> None:
        self.backend = backend

    async def __call__(self, request: Request) -> Response:
        started = time.monotonic()
        name = request.url.path[len(PREFIX) :]
        route = (request.method, name)
        try:
            if route == ("GET", "health"):
                return json_response({"status": "ok", "counts": self.backend.counts()})
            if route == ("POST", "reset"):
                options = await self._document(request) or {}
                if not isinstance(options, dict) or set(options) - {"seed", "brain"}:
                    raise ApiError(400, "reset: expected {'seed': ..., 'brain': ...} or nothing")
                seed = options.get("seed")
                if seed is not None and not isinstance(seed, str):
                    raise ApiError(400, "reset: 'seed' must be a string", param="seed")
                brain = options.get("brain")
                await self.backend.reset(
                    seed=seed, brain=None if brain is None else self._keeping_model(brain)
                )
                return json_response({"status": "reset"})
            if route == ("PUT", "brain"):
                self.backend.set_brain(self._keeping_model(await self._document(request)))
                return json_response({"status": "ok", "rules": len(self.backend.brain.rules)})
            if route == ("GET", "brain"):
                return json_response(
                    {"rules": len(self.backend.brain.rules), "schema": BRAIN_SCHEMA}
                )
        except BrainError as exc:
            return error_response(ApiError(400, str(exc), param="rules"), started)
        except ApiError as exc:
            return error_response(exc, started)
        return error_response(
            ApiError(404, f"Invalid URL ({request.method} {request.url.path})"), started
        )

    def _keeping_model(self, document: Any) -> Brain:
        """The rules of `document` with the model the emulator was configured with."""
        return dataclasses.replace(rules(document), model=self.backend.default_brain.model)

    async def _document(self, request: Request) -> Any:
        """A JSON (or YAML) request body; nothing is None."""
        raw = await read_body(request, self.backend.options.max_body_bytes)
        if not raw.strip():
            return None
        try:
            document = orjson.loads(raw)
        except orjson.JSONDecodeError:
            try:
                document = safe_yaml.load(raw.decode("utf-8", errors="replace"))
            except safe_yaml.YAMLError as exc:
                raise ApiError(400, f"not valid JSON or YAML: {exc}") from None
            except RecursionError:
                document = _TOO_DEEP
        if document is _TOO_DEEP or nesting_exceeds(document, MAX_JSON_DEPTH):
            raise ApiError(400, f"Invalid body: nested deeper than {MAX_JSON_DEPTH} levels.")
        return document


_TOO_DEEP = object()


def rules(document: Any) -> Brain:
    """A brain from a rules document received over HTTP: rules only, never a file path."""
    if isinstance(document, str):
        raise BrainError(
            "brain: expected rules (a list, or {'rules': [...]}), got a string; the emulator "
            "reads rule files only from --brain FILE or the pytest plugin, never over HTTP"
        )
    if isinstance(document, dict) and "model" in document:
        raise BrainError(
            "brain.model: the model brain is set only from the emulator's own configuration "
            "(--brain FILE, --model, the pytest marker, ini or brain file), never over HTTP"
        )
    return parse_rules(document)
