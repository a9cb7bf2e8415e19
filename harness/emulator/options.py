"""Tunables of one emulator instance: how fast runs advance and what limits apply."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EmulatorOptions:
    """Timing and limits; the defaults keep recorded suites quick but make clients really poll.

    `step_delay` is the pause (seconds) before each run transition and each tool
    or message step; `poll_after_ms` is what `openai-poll-after-ms` tells polling
    clients; `run_expiry_seconds` is how long a run may stay active (`expires_at`
    is `created_at` plus this, rounded up); `file_delay` is how long a vector
    store file stays `in_progress`.

    `observe_hold` makes recordings repeatable: a run does not leave a status
    until a client has been shown it (a response or a stream event), waiting
    at most this many seconds; so two recordings of the same conversation see
    the same status sequence whatever the timing of their polls. 0 disables.
    """

    step_delay: float = 0.02
    poll_after_ms: int = 25
    run_expiry_seconds: float = 600.0
    file_delay: float = 0.02
    code_timeout: float = 10.0
    max_body_bytes: int = 32 * 1024 * 1024
    max_file_bytes: int = 64 * 1024 * 1024
    stream_chunk_chars: int = 12
    observe_hold: float = 2.0
