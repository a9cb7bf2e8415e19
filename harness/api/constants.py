"""Facts of the Assistants v2 protocol that several parts of the harness rely on."""

from __future__ import annotations

BETA_HEADER = "OpenAI-Beta"
BETA_VALUE = "assistants=v2"

RUN_STATUSES = (
    "queued",
    "in_progress",
    "requires_action",
    "cancelling",
    "cancelled",
    "failed",
    "completed",
    "incomplete",
    "expired",
)
ACTIVE_RUN_STATUSES = frozenset({"queued", "in_progress", "requires_action", "cancelling"})
"""A run in one of these holds its thread's lock."""
TERMINAL_RUN_STATUSES = frozenset({"cancelled", "failed", "completed", "incomplete", "expired"})
"""Nothing leaves these."""
POLL_STOP_STATUSES = TERMINAL_RUN_STATUSES | {"requires_action"}
"""Where the SDK's `runs.poll` stops: terminal, or waiting for the app."""

STEP_STATUSES = ("in_progress", "cancelled", "failed", "completed", "expired")
MESSAGE_STATUSES = ("in_progress", "incomplete", "completed")
ID_PREFIXES = ("asst_", "thread_", "msg_", "run_", "step_", "call_", "file-", "vs_", "vsfb_")

ALWAYS_SENT = {"thread.run": ("temperature", "top_p")}
"""Fields the real API always sent on an object although the spec does not require them."""
