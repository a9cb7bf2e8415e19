"""The recorder: keeps each real exchange, redacted and compacted, in memory.

Nothing reaches disk from here; `storage` writes a finished cassette in one
atomic step. Consecutive identical exchanges (a run polled while nothing
changed) are kept once with a repeat count.
"""

from __future__ import annotations

import threading

from harness.cassette.model import Interaction, Request, Response
from harness.cassette.redact import Redactor


class Recorder:
    def __init__(self, redactor: Redactor, start: list[Interaction] | None = None) -> None:
        self.redactor = redactor
        self.interactions: list[Interaction] = list(start or [])
        self.new = 0
        self._lock = threading.Lock()

    def add(self, request: Request, response: Response) -> None:
        interaction = self.redactor.interaction(Interaction(request, response))
        with self._lock:
            self.new += 1
            last = self.interactions[-1] if self.interactions else None
            if (
                last is not None
                and last.request == interaction.request
                and last.response == interaction.response
            ):
                self.interactions[-1] = Interaction(last.request, last.response, last.repeat + 1)
            else:
                self.interactions.append(interaction)
