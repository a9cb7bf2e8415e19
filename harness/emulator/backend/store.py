"""The emulator's state: assistants, threads, messages, runs, files and vector stores.

Objects are kept as the JSON dicts the API sends (every field present, nullable
ones as null) next to the private state they need, and found by id with 404s
worded as the real API words them. No rules and no HTTP here: the backend
decides, the store keeps. Everything runs on the server's event loop, so a
check-then-act sequence with no `await` in between is atomic.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.api import ACTIVE_RUN_STATUSES, VECTOR_STORE_FILE_STATUSES
from harness.emulator.errors import ApiError, not_found

if TYPE_CHECKING:
    from harness.emulator.backend.clock import Deadline

Obj = dict[str, Any]
StreamItem = tuple[str, bytes] | None
"""An SSE event (name, JSON bytes) for a stream's queue; None ends the stream."""


@dataclass
class Progress:
    """Background work on one object (a run, a file being ingested), in step with its clients.

    `idle` is set while the work waits for something outside it (a client to see
    its status, tool outputs, time) or is done; a client reading the object
    waits for it first, so it never sees the work half-way. `shown` is whether a
    client has been sent the current status; `wake` interrupts a wait.
    """

    idle: asyncio.Event = field(default_factory=asyncio.Event)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    shown: bool = True
    unshown_since: float = 0.0
    task: asyncio.Task[None] | None = None
    stoppable: asyncio.Event = field(default_factory=asyncio.Event)
    """Set while the work waits on something a cancel stops at once (code running)."""

    async def reachable(self) -> None:
        """Wait until the work rests, or runs something a cancel may stop."""
        if self.idle.is_set() or self.stoppable.is_set():
            return
        waiters = {
            asyncio.ensure_future(self.idle.wait()),
            asyncio.ensure_future(self.stoppable.wait()),
        }
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    on_clock: bool = False
    """The work rests until a moment of the logical clock (a deadline, an expiry), so each
    request, which moves that clock, has it look again."""

    def nudge(self) -> None:
        """Have the work look again at what it waits for; until it rests again, reads wait,
        so none sees the state from before the work moved on (work that has ended stays
        idle)."""
        if self.task is not None and not self.task.done():
            self.idle.clear()
        self.wake.set()


@dataclass
class RunRecord:
    """A run's public object plus the engine's bookkeeping."""

    obj: Obj
    steps: dict[str, Obj] = field(default_factory=dict)
    progress: Progress = field(default_factory=Progress)
    include_content: bool = False
    expires: Deadline | None = None
    cancel_requested: bool = False
    outputs: dict[str, str] = field(default_factory=dict)
    subscribers: list[asyncio.Queue[StreamItem]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    step_tokens: dict[str, int] = field(default_factory=dict)
    output_files: list[str] = field(default_factory=list)
    """Files the run's code made (they go when its thread goes)."""
    output_bytes: int = 0

    @property
    def status(self) -> str:
        return str(self.obj["status"])


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
    """A vector store, its files and batches. Files change only through `put_file`,
    `drop_file` and `set_file_status`, which keep the store's and its batches' counts as
    they go: a change costs the same in a store of ten files or of ten thousand."""

    obj: Obj
    files: dict[str, Obj] = field(default_factory=dict)
    chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    batches: dict[str, Obj] = field(default_factory=dict)
    batch_files: dict[str, list[str]] = field(default_factory=dict)
    ingesting: dict[asyncio.Task[None], asyncio.Event] = field(default_factory=dict)
    """Files not read yet: each reading task waits for its event (a client asked)."""
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(VECTOR_STORE_FILE_STATUSES, 0)
    )
    usage_bytes: int = 0
    batch_refs: dict[str, dict[str, int]] = field(default_factory=dict)
    """For each file id, the batches that list it (and how often): they count its status."""

    async def ready(self) -> None:
        """Have every file added so far read (or failed), and wait for it."""
        while self.ingesting:
            for asked in self.ingesting.values():
                asked.set()
            await asyncio.gather(*self.ingesting, return_exceptions=True)

    def put_file(self, obj: Obj, batch_id: str | None = None) -> None:
        """Add a file (replacing one with its id), listed in `batch_id` when given."""
        file_id = obj["id"]
        old = self.files.pop(file_id, None)
        self._tally(old, -1)
        self.files[file_id] = obj
        self._tally(obj, +1)
        refs = self.batch_refs.setdefault(file_id, {})
        for other in [b for b in refs if self.batches.get(b, {}).get("status") != "in_progress"]:
            del refs[other]  # a batch that has ended keeps the counts it ended with
        self._move_in_batches(file_id, _status(old), _status(obj))
        if batch_id is not None:
            refs[batch_id] = refs.get(batch_id, 0) + 1
            self.batch_files.setdefault(batch_id, []).append(file_id)
            self._count_in_batch(batch_id, {_status(obj): 1})

    def drop_file(self, file_id: str) -> None:
        """Remove a file; the batches that list it count it as cancelled."""
        old = self.files.pop(file_id, None)
        self.chunks.pop(file_id, None)
        self._tally(old, -1)
        self._move_in_batches(file_id, _status(old), "cancelled")

    def set_file_status(self, obj: Obj, status: str, usage_bytes: int | None = None) -> None:
        """Change a file's status (and its usage), and the counts with it."""
        current = self.files.get(obj["id"]) is obj
        if current:
            self._tally(obj, -1)
        before = _status(obj)
        obj["status"] = status
        if usage_bytes is not None:
            obj["usage_bytes"] = usage_bytes
        if current:
            self._tally(obj, +1)
            self._move_in_batches(obj["id"], before, status)

    def _tally(self, obj: Obj | None, sign: int) -> None:
        if obj is not None:
            status = _status(obj)
            self.counts[status] = self.counts.get(status, 0) + sign
            self.usage_bytes += sign * int(obj.get("usage_bytes") or 0)

    def _move_in_batches(self, file_id: str, before: str, after: str) -> None:
        if before == after:
            return
        for batch_id, times in self.batch_refs.get(file_id, {}).items():
            self._count_in_batch(batch_id, {before: -times, after: times})

    def _count_in_batch(self, batch_id: str, changes: dict[str, int]) -> None:
        batch = self.batches.get(batch_id)
        if batch is None:
            return
        counts = batch["file_counts"]
        for status, change in changes.items():
            counts[status] = counts.get(status, 0) + change
        counts["total"] = sum(counts[s] for s in VECTOR_STORE_FILE_STATUSES)
        if batch["status"] == "in_progress" and not counts["in_progress"]:
            batch["status"] = (
                "failed" if counts["failed"] and not counts["completed"] else "completed"
            )


def _status(obj: Obj | None) -> str:
    """How a store or batch counts a file: a removed file as cancelled, one learned from a
    server that gave it no status as completed."""
    return "cancelled" if obj is None else str(obj.get("status") or "completed")


@dataclass
class ResponseRecord:
    """A response (Responses API): its object, its input items, the items before it (the
    previous response's or the conversation's), and every stream event it sent."""

    obj: Obj
    input: list[Obj]
    history: list[Obj]
    body: Obj
    include: frozenset[str] = frozenset()
    events: list[tuple[str, bytes]] = field(default_factory=list)
    played: bool = False
    """Its carrying out has begun (it happens once)."""
    playing: bool = False
    """Its carrying out has begun and not ended: streams that watch it wait for more."""
    subscribers: list[asyncio.Queue[StreamItem]] = field(default_factory=list)
    """The queues of the streams watching it, each sent every event as it is written."""

    @property
    def status(self) -> str:
        return str(self.obj["status"])


@dataclass
class ConversationRecord:
    obj: Obj
    items: dict[str, Obj] = field(default_factory=dict)


@dataclass
class ContainerRecord:
    obj: Obj
    files: dict[str, Obj] = field(default_factory=dict)
    contents: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Store:
    assistants: dict[str, Obj] = field(default_factory=dict)
    threads: dict[str, ThreadRecord] = field(default_factory=dict)
    files: dict[str, FileRecord] = field(default_factory=dict)
    vector_stores: dict[str, VectorStoreRecord] = field(default_factory=dict)
    learned: bool = False
    """Objects came from a recording (a fault overlay's take-over): cassettes are data, so
    no code found in them is run (`RunContext.runs_default_code`)."""
    responses: dict[str, ResponseRecord] = field(default_factory=dict)
    conversations: dict[str, ConversationRecord] = field(default_factory=dict)
    containers: dict[str, ContainerRecord] = field(default_factory=dict)
    pending_calls: dict[str, Any] = field(default_factory=dict)
    """Function calls a response made, by call id: what the brain does once their outputs
    come (`engine.responder.Pending`)."""
    outputs: dict[str, int] = field(default_factory=dict)
    """Files and container files code made, by id, with their sizes (`output_room`)."""

    def output_room(self, used_by_run: int, per_run: int, total: int) -> int:
        """How many bytes of files a run's code may still leave (per run, and in all)."""
        return max(0, min(per_run - used_by_run, total - sum(self.outputs.values())))

    def keep_output(self, output_id: str, size: int) -> None:
        self.outputs[output_id] = size

    def drop_file(self, file_id: str) -> None:
        """Forget a file (an output too, making room for others)."""
        self.files.pop(file_id, None)
        self.outputs.pop(file_id, None)

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

    def search_store_ids(self, thread: ThreadRecord, assistant: Obj) -> list[str]:
        """The vector stores a run on `thread` searches: the assistant's, then the thread's."""
        ids: list[str] = []
        for owner in (assistant, thread.obj):
            resources = owner.get("tool_resources") or {}
            ids += (resources.get("file_search") or {}).get("vector_store_ids") or []
        return [i for i in dict.fromkeys(ids) if i in self.vector_stores]

    def corpus(
        self, vector_store_ids: list[str], now: int
    ) -> tuple[list[Chunk], dict[str, tuple[str, Obj]]]:
        """What file_search searches in these stores: their processed files' chunks, and each
        file's name and attributes (the stores count as active now)."""
        chunks: list[Chunk] = []
        files: dict[str, tuple[str, Obj]] = {}
        for vs_id in vector_store_ids:
            vs = self.vector_stores[vs_id]
            vs.obj["last_active_at"] = now
            for file_id, file_chunks in vs.chunks.items():
                if vs.files.get(file_id, {}).get("status") == "completed":
                    chunks += file_chunks
                    frec = self.files.get(file_id)
                    files.setdefault(
                        file_id,
                        (
                            frec.obj["filename"] if frec else "",
                            vs.files[file_id].get("attributes") or {},
                        ),
                    )
        return chunks, files

    def runs(self) -> list[RunRecord]:
        return [run for thread in self.threads.values() for run in thread.runs.values()]


def paginate(
    items: list[Obj],
    *,
    limit: int = 20,
    order: str = "desc",
    after: str | None = None,
    before: str | None = None,
    shown: Callable[[Obj], Obj] | None = None,
) -> Obj:
    """The list envelope: `items` is in creation order; cursors are ids in the sort order.

    `after` gives the page that follows the cursor, `before` the page that
    directly precedes it; `has_more` says whether more lie beyond the page in
    the direction of travel. An unknown cursor gives an empty page. `shown`
    renders each item of the page (only those: a long thread lists as fast as
    a short one).
    """
    seq = items if order == "asc" else items[::-1]
    cursors = after is not None or before is not None
    position = {obj["id"]: i for i, obj in enumerate(seq)} if cursors else {}
    start, end = 0, len(seq)
    if after is not None:
        start = position[after] + 1 if after in position else len(seq)
    if before is not None:
        end = position.get(before, 0)
    window = seq[start:end] if start < end else []
    page = window[-limit:] if before is not None and after is None else window[:limit]
    if shown is not None:
        page = [shown(obj) for obj in page]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": len(window) > limit,
    }
