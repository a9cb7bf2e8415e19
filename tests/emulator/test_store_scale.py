"""A vector store of thousands of files: adding one more file costs what it costs in a store
of a hundred (the store's and its batches' counts are kept as files change, never recounted),
measured as the lines of the emulator's backend that run, not as time."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from harness.emulator import EmulatorServer
from harness.emulator.backend.inputs import Upload
from tests.emulator.helpers import FAST

_BACKEND = str(Path(__file__).parents[2] / "harness" / "emulator")
_HTTP = str(Path(_BACKEND) / "http")


class LineCounter:
    """Counts the lines of the emulator's backend, engine and tools that run on the thread it
    is installed on (the HTTP layer left out: it is the same for every request)."""

    def __init__(self) -> None:
        self.lines = 0

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Any:
        name = frame.f_code.co_filename
        if not name.startswith(_BACKEND) or name.startswith(_HTTP):
            return None
        return self._line

    def _line(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            self.lines += 1
        return self._line


@pytest.fixture(scope="module")
def big_emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(options=FAST) as server:
        yield server


def _store_with(server: EmulatorServer, count: int) -> str:
    """A vector store holding `count` processed files, made on the emulator's loop (ten
    thousand uploads through HTTP would only measure the HTTP layer)."""

    async def fill() -> str:
        backend = server.backend
        store = backend.create_vector_store({"name": f"{count} files"})
        ids = []
        for i in range(count):
            upload = Upload(f"f{i}.txt", b"note %d" % i, {"purpose": "assistants"})
            ids.append(backend.create_file(upload)["id"])
            backend.store.files[ids[-1]].text = f"note {i}"  # read already: no thread each
        for start in range(0, count, 2000):
            backend.create_vector_store_file_batch(
                store["id"], {"file_ids": ids[start : start + 2000]}
            )
        await backend.get_vector_store(store["id"])  # every file read
        return str(store["id"])

    return str(server.call(fill(), timeout=120))


def _work_of_one_more_file(server: EmulatorServer, client: Any, store_id: str) -> int:
    """Backend lines run to add one file to the store and read it once it is processed."""
    uploaded = client.files.create(file=("extra.txt", b"one more"), purpose="assistants")
    counter = LineCounter()

    async def trace(on: bool) -> None:
        sys.settrace(counter if on else None)

    server.call(trace(True))
    try:
        client.vector_stores.files.create(vector_store_id=store_id, file_id=uploaded.id)
        done = client.vector_stores.files.retrieve(vector_store_id=store_id, file_id=uploaded.id)
    finally:
        server.call(trace(False))
    assert done.status == "completed"
    return counter.lines


def test_adding_the_five_thousandth_file_does_the_work_of_adding_the_hundredth(
    big_emulator: EmulatorServer,
) -> None:
    from openai import OpenAI

    small, large = _store_with(big_emulator, 100), _store_with(big_emulator, 5_000)
    with OpenAI(base_url=big_emulator.base_url, api_key="sk-test", max_retries=0) as client:
        work_small = _work_of_one_more_file(big_emulator, client, small)
        work_large = _work_of_one_more_file(big_emulator, client, large)
        store = client.vector_stores.retrieve(large)
    assert store.file_counts.completed == store.file_counts.total == 5_001
    assert store.usage_bytes == sum(len(b"note %d" % i) for i in range(5_000)) + len(b"one more")
    assert work_small > 0
    # The same work in both, give or take a few lines (a dict growing, a task scheduled).
    assert work_large <= work_small + 20, (work_small, work_large)
