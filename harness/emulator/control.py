"""The emulator's own endpoints under `/_emulator/`: health, reset, brain. Never recorded."""

from __future__ import annotations

import time
from typing import Any

import orjson
import yaml
from starlette.requests import Request
from starlette.responses import Response

from harness.emulator.backend import AssistantsBackend
from harness.emulator.brain import BRAIN_SCHEMA
from harness.emulator.errors import ApiError, BrainError
from harness.emulator.responses import error_response, json_response

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
                options = await _document(request) or {}
                if not isinstance(options, dict) or set(options) - {"seed", "brain"}:
                    raise ApiError(400, "reset: expected {'seed': ..., 'brain': ...} or nothing")
                await self.backend.reset(seed=options.get("seed"), brain=options.get("brain"))
                return json_response({"status": "reset"})
            if route == ("PUT", "brain"):
                self.backend.set_brain(await _document(request))
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


async def _document(request: Request) -> Any:
    """A JSON (or YAML) request body; nothing is None."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        return yaml.safe_load(raw.decode("utf-8", errors="replace"))
    except yaml.YAMLError as exc:
        raise ApiError(400, f"not valid JSON or YAML: {str(exc).splitlines()[0]}") from None
