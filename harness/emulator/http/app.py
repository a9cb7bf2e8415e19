"""The emulator as an ASGI app: the API routed by `harness.api`'s operation table.

Requests under an API base (OpenAI's `/v1`, Azure's `/openai`: `shapes.py`) are
matched to an operation (`harness.api.match`) and served by that operation's
handler (`responses.OperationHandler`); `/_emulator/*` goes to the control
handler; anything else is the real API's `404 Invalid URL`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness import api
from harness.emulator.backend.service import AssistantsBackend
from harness.emulator.errors import invalid_url
from harness.emulator.http.boundary import Boundary, BoundaryMiddleware
from harness.emulator.http.control import PREFIX, ControlHandler
from harness.emulator.http.handlers import OperationHandler, error_response
from harness.emulator.http.shapes import shape_for
from harness.emulator.options import EmulatorOptions

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_app(
    brain: Any = None,
    options: EmulatorOptions | None = None,
    *,
    backend: AssistantsBackend | None = None,
    boundary: Boundary | None = None,
) -> Starlette:
    """The emulator's ASGI app; `app.state.backend` is its `AssistantsBackend`, and while it
    serves, `app.state.loop` is its event loop. `boundary` says which hosts, origins and
    control token it accepts (default: loopback only, `harness.emulator.http.boundary`)."""
    backend = backend or AssistantsBackend(brain, options)
    # Operations the backend does not implement answer as unknown URLs, as the real API
    # answers paths it does not serve.
    handlers = {
        op.name: OperationHandler(op, backend)
        for op in api.operations()
        if hasattr(backend, op.name)
    }
    control = ControlHandler(backend)

    async def route(request: Request) -> Response:
        path = request.url.path
        if path.startswith(PREFIX):
            return await control(request)
        shape = shape_for(path)
        if shape is not None:
            found = api.match(request.method, path[len(shape.base) :])
            if found is not None and found.name in handlers:
                return await handlers[found.name](request, found, shape)
            return error_response(shape.unknown_url(request.method, path), time.monotonic())
        return error_response(invalid_url(request.method, path), time.monotonic())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.loop = asyncio.get_running_loop()
        try:
            yield
        finally:
            await backend.shutdown()

    app = Starlette(
        routes=[Route("/{path:path}", route, methods=_METHODS)],
        middleware=[Middleware(BoundaryMiddleware, boundary=boundary or Boundary())],
        lifespan=lifespan,
    )
    app.state.backend = backend
    app.state.loop = None
    return app
