"""A run as its script reads it (`script.RunView`), and the meter of a model's token counts.

A model brain reports each answer's usage (`charge`); the steps that answer
makes show that answer's prompt tokens and, on the first of them, its
completion tokens, and the run shows the sums, as the Assistants API counted
a run's model calls. Runs decided by rules keep the emulator's estimates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.emulator.backend import objects
from harness.emulator.backend.store import Obj, RunRecord, Store, ThreadRecord
from harness.emulator.engine.steps import StepRunner


@dataclass
class Meter:
    """The model's counts for one run: the current answer's, once one was reported."""

    charged: bool = False
    prompt: int = 0
    pending: int = 0
    """The current answer's completion tokens, until a step ending takes them."""
    defer_next: bool = False
    """The next step to end belongs to an answer not reported yet (`charge_later`)."""
    unpriced: list[Obj] = field(default_factory=list)
    """Steps that ended before their answer was reported; its `charge` sets their usage."""

    def take(self) -> int:
        pending, self.pending = self.pending, 0
        return pending


class LiveRun:
    """What `script.RunView` promises, read from the store as the run goes on."""

    def __init__(
        self,
        store: Store,
        thread: ThreadRecord,
        rec: RunRecord,
        assistant: Obj,
        runner: StepRunner,
        meter: Meter,
    ) -> None:
        self.store = store
        self.thread = thread
        self.rec = rec
        self._assistant = assistant
        self.runner = runner
        self.meter = meter

    @property
    def run(self) -> Obj:
        return self.rec.obj

    @property
    def assistant(self) -> Obj:
        return self._assistant

    @property
    def streaming(self) -> bool:
        return bool(self.rec.subscribers)

    def history(self) -> list[Obj]:
        run_id = self.rec.obj["id"]
        created = self.rec.obj["created_at"]
        return [
            m
            for m in self.thread.messages.values()
            if m["run_id"] != run_id and m["created_at"] <= created
        ]

    def steps(self) -> list[Obj]:
        return list(self.rec.steps.values())

    def earlier_steps(self, run_id: str) -> list[Obj]:
        rec = self.thread.runs.get(run_id)
        if rec is None or rec is self.rec:
            return []
        return list(rec.steps.values())

    def message(self, message_id: str) -> Obj | None:
        return self.thread.messages.get(message_id)

    def file(self, file_id: str) -> tuple[str, bytes] | None:
        found = self.store.files.get(file_id)
        return None if found is None else (found.obj["filename"], found.content)

    def code_files(self) -> list[str]:
        return sorted(self.runner.code_files())

    def charge(self, prompt_tokens: int, completion_tokens: int) -> None:
        rec, meter = self.rec, self.meter
        if not meter.charged:  # the model's counts replace the emulator's estimate
            meter.charged = True
            rec.prompt_tokens = rec.completion_tokens = 0
        rec.prompt_tokens += prompt_tokens
        rec.completion_tokens += completion_tokens
        meter.prompt = prompt_tokens
        meter.pending = completion_tokens
        for step in meter.unpriced:  # as if they had ended now, the answer's first steps
            step["usage"] = objects.usage(prompt_tokens, meter.take())
        meter.unpriced.clear()

    def charge_later(self) -> None:
        self.meter.defer_next = True
