"""The recorder: keeps each real exchange, redacted and compacted, in memory.

Nothing reaches disk from here; `storage` writes a finished cassette in one
atomic step. Consecutive identical exchanges (a run polled while nothing
changed) are kept once with a repeat count. What the redactor learns stays
learned for the whole recording, also backwards: a key first seen in the
tenth request's header is removed from the second request's body as well.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from harness.cassette.model import Interaction, Request, Response
from harness.cassette.redact import Redactor


class Recorder:
    def __init__(self, redactor: Redactor, start: list[Interaction] | None = None) -> None:
        self.redactor = redactor
        self.new = 0
        self._kept: list[Interaction] = list(start or [])
        self._known = -1  # how much the redactor knew when `_kept` was last redacted
        self._lock = threading.Lock()

    @property
    def interactions(self) -> list[Interaction]:
        """Everything recorded, redacted with all the recording has learned so far."""
        with self._lock:
            while self._known != self.redactor.known:
                self._known = self.redactor.known
                self._kept = [
                    replace(self.redactor.interaction(i), repeat=i.repeat) for i in self._kept
                ]
            return list(self._kept)

    def add(self, request: Request, response: Response) -> None:
        interaction = self.redactor.interaction(Interaction(request, response))
        with self._lock:
            self.new += 1
            last = self._kept[-1] if self._kept else None
            if (
                last is not None
                and last.request == interaction.request
                and last.response == interaction.response
            ):
                self._kept[-1] = Interaction(last.request, last.response, last.repeat + 1)
            else:
                self._kept.append(interaction)
