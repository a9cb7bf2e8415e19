"""What one more file costs in a big vector store next to a small one.

    .venv/bin/python bench/vector_store_scale.py [--small 1000] [--large 10000] [--adds 200]

Two stores are filled on one in-process backend (`AssistantsBackend`, no HTTP),
then `--adds` more files are added to each, one at a time, each read once it is
processed (as a client polling it would), alternating between the stores so the
shared machine's load falls on both alike. Printed: the median microseconds per added
file in each store and the ratio large / small (the goal is about 1: the store's counts are
kept as files change, never recounted over all its files).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from harness.emulator.backend.inputs import Upload
from harness.emulator.backend.service import AssistantsBackend
from harness.emulator.options import EmulatorOptions


def _upload(backend: AssistantsBackend, name: str) -> str:
    obj = backend.create_file(Upload(name, b"a note", {"purpose": "assistants"}))
    backend.store.files[obj["id"]].text = "a note"  # read already: no thread per file
    return str(obj["id"])


async def _fill(backend: AssistantsBackend, count: int) -> str:
    store = backend.create_vector_store({"name": f"{count} files"})
    ids = [_upload(backend, f"f{i}.txt") for i in range(count)]
    for start in range(0, count, 2000):
        backend.create_vector_store_file_batch(store["id"], {"file_ids": ids[start : start + 2000]})
    await backend.get_vector_store(store["id"])
    return str(store["id"])


async def _add_one(backend: AssistantsBackend, store_id: str, file_id: str) -> float:
    started = time.perf_counter()
    backend.create_vector_store_file(store_id, {"file_id": file_id})
    await backend.get_vector_store_file(store_id, file_id)
    return time.perf_counter() - started


async def main(small: int, large: int, adds: int) -> None:
    backend = AssistantsBackend(options=EmulatorOptions(observe_hold=0))
    stores = {"small": await _fill(backend, small), "large": await _fill(backend, large)}
    spent: dict[str, list[float]] = {"small": [], "large": []}
    for i in range(adds):
        for which in ("small", "large") if i % 2 else ("large", "small"):
            file_id = _upload(backend, f"{which}{i}.txt")
            spent[which].append(await _add_one(backend, stores[which], file_id))
    median = {which: statistics.median(times) for which, times in spent.items()}
    for which, count in (("small", small), ("large", large)):
        print(f"{which:5} store of {count:6} files: {median[which] * 1e6:8.1f} us a file (median)")
    print(f"ratio large / small: {median['large'] / median['small']:.2f} (goal: about 1)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10000)
    parser.add_argument("--adds", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.small, args.large, args.adds))
