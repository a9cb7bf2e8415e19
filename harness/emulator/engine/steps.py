"""Carrying out a run's actions as run steps: messages (`message_steps`), function calls, code
and file search (`tool_steps`), and the simple ones (`step_base`).

Each action becomes a run step (and, for `say`, an assistant message) whose stream events
follow the real order and delta rules.
"""

from __future__ import annotations

from harness.emulator.engine.message_steps import MessageSteps
from harness.emulator.engine.tool_steps import ToolSteps


class StepRunner(MessageSteps, ToolSteps):
    """Carries out one run's actions; `control` changes the run, `store` is read for files."""


__all__ = ["StepRunner"]
