"""Tunables of one emulator instance: pacing hints and limits."""

from __future__ import annotations

from dataclasses import dataclass

STANDALONE_POLL_AFTER_MS = 25


@dataclass(frozen=True)
class EmulatorOptions:
    """How the emulator paces clients and what it accepts.

    Runs advance in step with their clients (`harness.emulator.engine.runs`): a run
    leaves a status only once a client has been shown it, waiting at most
    `observe_hold` seconds for one (0: do not wait), so a polling client sees
    every status once whatever the timing of its polls. This is the one
    deliberate departure from the real API, which may skip statuses between
    sparse polls.

    `poll_after_ms`, when not None, is sent as `openai-poll-after-ms` on the
    GETs clients poll (runs, vector store files and batches): the SDK's poll
    helpers then poll that often instead of once a second. The real API did
    not send it, so by default (and in the pytest plugin's embedded emulator)
    it is left out; a standalone `harness emulator` sends
    `STANDALONE_POLL_AFTER_MS` to keep the clients it serves quick, since
    nothing skips their waits. It changes only that header: what a run does
    and every response body depend on the requests alone.

    `max_body_bytes` (a JSON body) and `max_file_bytes` (an upload) are refused
    while read (`harness.emulator.http.limits`); `header_timeout` is how long a
    connection may take to send a request's headers, or stall in its body, and
    `max_pending_connections` how many may wait for headers at once (None: half
    the open-file limit) (`harness.emulator.http.connections`).

    `code_isolation` is how code_interpreter code is held
    (`harness.emulator.tools.sandbox`): "namespaces" (kernel isolation, required),
    "process" (limits and a best-effort guard) or "auto" (namespaces where
    the machine allows them, else process).

    Files code makes (images) are kept up to `max_output_bytes_per_run` for one run (or
    response) and `max_output_bytes` for the whole emulator; past that, an image is not
    kept and the code's logs say so. They go with their thread (or container), or a reset.
    """

    poll_after_ms: int | None = None
    observe_hold: float = 2.0
    run_expiry_seconds: float = 600.0
    code_timeout: float = 10.0
    code_isolation: str = "auto"
    max_body_bytes: int = 32 * 1024 * 1024
    max_file_bytes: int = 64 * 1024 * 1024
    header_timeout: float = 20.0
    max_pending_connections: int | None = None
    max_output_bytes_per_run: int = 64 * 1024 * 1024
    max_output_bytes: int = 256 * 1024 * 1024
    stream_chunk_chars: int = 12

    def __post_init__(self) -> None:
        if self.code_isolation not in ("auto", "namespaces", "process"):
            raise ValueError(
                f"code_isolation must be 'auto', 'namespaces' or 'process', "
                f"not {self.code_isolation!r}"
            )
