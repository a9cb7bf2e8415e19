"""An Assistants API v2 emulator: a real HTTP server with real state, for recording without a key.

`EmulatorServer` runs it on 127.0.0.1 in a background thread; `create_app`
gives the ASGI app; `harness.emulator.server.serve` runs it in the foreground.
The brain rule format is documented in `harness.emulator.brain`.
"""

from harness.emulator.app import Emulator, create_app
from harness.emulator.brain import BRAIN_SCHEMA, load_brain
from harness.emulator.errors import ApiError, BrainError, EmulatorError
from harness.emulator.options import EmulatorOptions
from harness.emulator.server import EmulatorServer

__all__ = [
    "BRAIN_SCHEMA",
    "ApiError",
    "BrainError",
    "Emulator",
    "EmulatorError",
    "EmulatorOptions",
    "EmulatorServer",
    "create_app",
    "load_brain",
]
