"""The route table: the API under /v1, the control endpoints under /_emulator, and JSON 404s."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import orjson
import yaml
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.emulator.brain import BRAIN_SCHEMA
from harness.emulator.errors import ApiError, BrainError, invalid_url
from harness.emulator.routes_files import FileRoutes
from harness.emulator.routes_threads import ThreadRoutes
from harness.emulator.web import error_response, json_response

if TYPE_CHECKING:
    from harness.emulator.app import Emulator


def routes(emu: Emulator) -> list[Route]:
    async def health(request: Request) -> Response:
        return json_response({"status": "ok", "counts": emu.counts()})

    async def reset(request: Request) -> Response:
        await emu.reset()
        return json_response({"status": "reset"})

    async def put_brain(request: Request) -> Response:
        started = time.monotonic()
        raw = await request.body()
        try:
            document = orjson.loads(raw) if raw.strip() else None
        except orjson.JSONDecodeError:
            try:
                document = yaml.safe_load(raw.decode("utf-8", errors="replace"))
            except yaml.YAMLError as exc:
                return error_response(
                    ApiError(400, f"brain: not valid JSON or YAML: {str(exc).splitlines()[0]}"),
                    started,
                )
        try:
            emu.set_brain(document)
        except BrainError as exc:
            return error_response(ApiError(400, str(exc), param="rules"), started)
        return json_response({"status": "ok", "rules": len(emu.brain.rules)})

    async def get_brain(request: Request) -> Response:
        return json_response({"rules": len(emu.brain.rules), "schema": BRAIN_SCHEMA})

    async def fallback(request: Request) -> Response:
        return error_response(invalid_url(request.method, request.url.path), time.monotonic())

    table = [
        Route("/_emulator/health", health, methods=["GET"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/brain", put_brain, methods=["PUT"]),
        Route("/_emulator/brain", get_brain, methods=["GET"]),
        *ThreadRoutes(emu).routes(),
        *FileRoutes(emu).routes(),
    ]
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    table.append(Route("/{path:path}", fallback, methods=methods))
    return table
