"""Where a recording goes: the embedded emulator (started once per process, reset for every
test with the test's own seed and brain), or a live Assistants-compatible server."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.cassette.session import EMULATOR_API_KEY, Backend
from harness.config import Settings
from harness.errors import ConfigError, MissingExtraError

if TYPE_CHECKING:
    from harness.emulator import EmulatorServer

EXTRA = "pip install 'pytest-assistants-harness[emulator]'"


def emulator_module(purpose: str = "recording against the embedded emulator") -> Any:
    """`harness.emulator`, or a one-line error naming the extra that provides it."""
    try:
        import harness.emulator as emulator
    except ImportError as exc:
        missing = (exc.name or "a module").split(".")[0]
        alternative = ", or record with --record-backend=live" if "record" in purpose else ""
        raise MissingExtraError(
            f"{purpose} needs its extra ({missing} is missing): {EXTRA}{alternative}"
        ) from None
    return emulator


class EmbeddedEmulator:
    """The emulator the plugin records against, on 127.0.0.1, answered in process."""

    def __init__(self) -> None:
        self._server: EmulatorServer | None = None

    def backend(self, test_id: str, brain: Any) -> Backend:
        """A fresh emulator state for one test: ids and time seeded by `test_id`."""
        server = self._start()
        server.reset(seed=test_id, brain=brain)
        return Backend(
            "emulator",
            server.base_url,
            EMULATOR_API_KEY,
            responder=server.answer,
            brain=server.backend.brain.describe(),
        )

    def recorded(self, test_id: str, brain: Any) -> RecordedEmulator:
        """A fresh emulator state that takes over a recorded conversation (fault overlays):
        ids seeded by `test_id`, runs decided by `brain`."""
        server = self._start()
        server.reset(seed=test_id, brain=brain)
        return RecordedEmulator(server)

    @property
    def base_url(self) -> str:
        return self._start().base_url

    def set_brain(self, rules: Any) -> None:
        self._start().set_brain(rules)

    def notes(self) -> list[str]:
        """What the current test's runs want its author to know (see `Brain.hint`)."""
        return list(self._server.backend.notes) if self._server else []

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def _start(self) -> EmulatorServer:
        if self._server is None:
            emulator = emulator_module()
            # No `openai-poll-after-ms`: the real API did not send it, and recording
            # skips the SDK's waits instead (runs move on once a client has seen them).
            options = emulator.EmulatorOptions(poll_after_ms=None)
            self._server = emulator.EmulatorServer(options=options).start()
        return self._server


class RecordedEmulator:
    """The embedded emulator continuing a recorded conversation: it learns the recording's
    objects, takes over threads, and answers in process (`harness.faults.EmulatorLink`)."""

    def __init__(self, server: EmulatorServer) -> None:
        self._server = server
        self.base_url = server.base_url

    def answer(
        self, method: str, url: str, headers: Any, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        return self._server.answer(method, url, headers, body)

    def learn(self, objects: list[Any]) -> None:
        self._server.call(self._server.backend.learn(objects))

    def take_over(self, thread_id: str) -> None:
        self._server.call(self._server.backend.take_over(thread_id))


def live_backend(settings: Settings) -> Backend:
    key = settings.live_api_key or os.environ.get("AZURE_OPENAI_API_KEY")
    if not key:
        raise ConfigError(
            "--record-backend=live needs OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible "
            "server), or AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT for Azure OpenAI"
        )
    return Backend("live", settings.live_base_url, key)


def load_test_brain(value: Any, test_file: Path, where: str) -> Any:
    """A test's brain: rules inline (a list or mapping), or a rules file relative to the
    test file; checked now, so a bad one fails the test with one line."""
    if value is None:
        return None
    emulator = emulator_module()
    if isinstance(value, (str, Path)):
        path = Path(value)
        value = path if path.is_absolute() else test_file.parent / path
    try:
        return emulator.load_brain(value)
    except emulator.BrainError as exc:
        raise ConfigError(f"{where}: brain: {exc}") from None
