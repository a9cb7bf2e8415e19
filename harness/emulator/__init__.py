"""An Assistants API v2 emulator: a real HTTP server with real state, for recording without a key.

Shaped like a moto service: `AssistantsBackend` holds the state and the rules
(one method per API operation), `responses` parses requests and renders
answers, `app` routes by `harness.api`'s operation table. `EmulatorServer`
runs it on 127.0.0.1 in a background thread; `harness.emulator.http.server.serve`
runs it in the foreground. The brain rule format is documented in
`harness.emulator.engine.brain`.
"""

from harness.emulator.backend.service import AssistantsBackend
from harness.emulator.engine.brain import BRAIN_SCHEMA, load_brain
from harness.emulator.errors import ApiError, BrainError, EmulatorError
from harness.emulator.http.app import create_app
from harness.emulator.http.server import EmulatorServer
from harness.emulator.options import EmulatorOptions

__all__ = [
    "BRAIN_SCHEMA",
    "ApiError",
    "AssistantsBackend",
    "BrainError",
    "EmulatorError",
    "EmulatorOptions",
    "EmulatorServer",
    "create_app",
    "load_brain",
]
