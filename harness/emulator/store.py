"""The emulator's state: assistants, threads, messages, runs, files and vector stores.

Objects are kept as the JSON dicts the API sends (every field present, nullable
ones as null) next to the private state they need. No HTTP here: the routes
parse requests and call these functions, the run engine mutates runs. All
mutation happens on the server's event loop, so a check-then-act sequence with
no `await` in between is atomic.
"""

from __future__ import annotations

import asyncio
import secrets
import string
import time
from dataclasses import dataclass, field
from typing import Any

from harness.emulator.errors import ApiError, bad_request, not_found

Obj = dict[str, Any]
ACTIVE_RUN_STATUSES = frozenset({"queued", "in_progress", "requires_action", "cancelling"})
TERMINAL_RUN_STATUSES = frozenset({"cancelled", "failed", "completed", "incomplete", "expired"})
_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    """An id shaped like the real ones: `thread_` + 24 characters, `file-` + 22."""
    length = 22 if prefix == "file-" else 24
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def now() -> int:
    return int(time.time())


@dataclass
class RunRecord:
    """A run's public object plus the engine's bookkeeping."""

    obj: Obj
    steps: dict[str, Obj] = field(default_factory=dict)
    include_content: bool = False
    deadline: float = 0.0
    cancel_requested: bool = False
    outputs: dict[str, str] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    shown_at: float | None = 0.0
    status_since: float = 0.0
    """When a client was last shown the current status (None: not yet)."""
    subscribers: list[asyncio.Queue[tuple[str, bytes] | None]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    step_tokens: dict[str, int] = field(default_factory=dict)


@dataclass
class ThreadRecord:
    obj: Obj
    messages: dict[str, Obj] = field(default_factory=dict)
    runs: dict[str, RunRecord] = field(default_factory=dict)

    def active_run(self) -> RunRecord | None:
        for run in reversed(self.runs.values()):
            if run.obj["status"] in ACTIVE_RUN_STATUSES:
                return run
        return None


@dataclass
class FileRecord:
    obj: Obj
    content: bytes
    text: str | None = None


@dataclass
class Chunk:
    file_id: str
    text: str


@dataclass
class VectorStoreRecord:
    obj: Obj
    files: dict[str, Obj] = field(default_factory=dict)
    chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    batches: dict[str, Obj] = field(default_factory=dict)
    batch_files: dict[str, list[str]] = field(default_factory=dict)
    version: int = 0


@dataclass
class Store:
    assistants: dict[str, Obj] = field(default_factory=dict)
    threads: dict[str, ThreadRecord] = field(default_factory=dict)
    files: dict[str, FileRecord] = field(default_factory=dict)
    vector_stores: dict[str, VectorStoreRecord] = field(default_factory=dict)

    # lookups that answer 404 the way the real API words it

    def assistant(self, assistant_id: str) -> Obj:
        try:
            return self.assistants[assistant_id]
        except KeyError:
            raise not_found("asst", assistant_id) from None

    def thread(self, thread_id: str) -> ThreadRecord:
        try:
            return self.threads[thread_id]
        except KeyError:
            raise not_found("thread", thread_id) from None

    def message(self, thread_id: str, message_id: str) -> Obj:
        try:
            return self.thread(thread_id).messages[message_id]
        except KeyError:
            raise not_found("msg", message_id) from None

    def run(self, thread_id: str, run_id: str) -> RunRecord:
        try:
            return self.thread(thread_id).runs[run_id]
        except KeyError:
            raise not_found("run", run_id) from None

    def step(self, thread_id: str, run_id: str, step_id: str) -> Obj:
        try:
            return self.run(thread_id, run_id).steps[step_id]
        except KeyError:
            raise not_found("step", step_id) from None

    def file(self, file_id: str) -> FileRecord:
        try:
            return self.files[file_id]
        except KeyError:
            raise not_found("file", file_id) from None

    def vector_store(self, vector_store_id: str) -> VectorStoreRecord:
        try:
            return self.vector_stores[vector_store_id]
        except KeyError:
            raise not_found("vs", vector_store_id) from None

    def vector_store_file(self, vector_store_id: str, file_id: str) -> Obj:
        try:
            return self.vector_store(vector_store_id).files[file_id]
        except KeyError:
            raise ApiError(
                404, f"No file found with id '{file_id}' in vector store '{vector_store_id}'."
            ) from None

    def batch(self, vector_store_id: str, batch_id: str) -> Obj:
        try:
            return self.vector_store(vector_store_id).batches[batch_id]
        except KeyError:
            raise not_found("vsfb", batch_id) from None


def paginate(
    items: list[Obj],
    *,
    limit: int = 20,
    order: str = "desc",
    after: str | None = None,
    before: str | None = None,
) -> Obj:
    """The list envelope: `items` is in creation order; cursors are ids in the sort order.

    `after` gives the page that follows the cursor, `before` the page that
    directly precedes it; `has_more` says whether more lie beyond the page in
    the direction of travel. An unknown cursor gives an empty page.
    """
    seq = items if order == "asc" else items[::-1]
    position = {obj["id"]: i for i, obj in enumerate(seq)}
    start, end = 0, len(seq)
    if after is not None:
        start = position[after] + 1 if after in position else len(seq)
    if before is not None:
        end = position.get(before, 0)
    window = seq[start:end] if start < end else []
    page = window[-limit:] if before is not None and after is None else window[:limit]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": len(window) > limit,
    }


def check_metadata(metadata: Any, param: str = "metadata") -> Obj:
    """Metadata limits: 16 pairs, keys up to 64 characters, values up to 512."""
    if metadata is None:
        return {}
    if len(metadata) > 16:
        raise bad_request(
            f"Invalid '{param}': too many properties. Expected an object with at most 16 "
            f"properties, but got {len(metadata)} instead.",
            param=param,
            code="object_above_max_properties",
        )
    for key, value in metadata.items():
        if len(key) > 64:
            raise bad_request(
                f"Invalid '{param}': key too long. Expected a key with maximum length 64, "
                f"but got a key with length {len(key)} instead.",
                param=f"{param}.{key}",
                code="string_above_max_length",
            )
        if len(value) > 512:
            raise bad_request(
                f"Invalid '{param}.{key}': string too long. Expected a string with maximum "
                f"length 512, but got a string with length {len(value)} instead.",
                param=f"{param}.{key}",
                code="string_above_max_length",
            )
    return dict(metadata)
