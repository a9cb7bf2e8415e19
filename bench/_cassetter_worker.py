"""cassetter's part of `bench/replay.py`, run in a separate venv.

cassetter (Rust-backed, PyPI) is never a dependency of this project, and its
pytest plugin registers `--record-mode` and a `vcr` marker like
pytest-recording does, so it lives in its own venv (see `bench/replay.py
--cassetter-python`). This script reads the captured exchanges, writes them
as a cassetter cassette with cassetter's own writer, then times its load and
its replay against a floor measured in this same process, interleaved.

Prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _workload as w


def main() -> None:
    with open(sys.argv[1]) as handle:
        job = json.load(handle)
    import httpx2
    import openai
    from cassetter import use_cassette
    from cassetter._core import (
        Cassette,
        HttpInteraction,
        HttpRequest,
        HttpResponse,
        SecurityConfig,
        process_body,
        scrub_interaction,
    )

    captured = w.from_wire(job["captured"])
    calls = [tuple(call) for call in job["calls"]]
    sample = job["sample"]
    from importlib.metadata import version

    out: dict[str, object] = {"version": version("cassetter")}
    folder = tempfile.mkdtemp(prefix="bench-cassetter-")
    path = os.path.join(folder, "cassette.yaml")

    cassette = Cassette()
    security = SecurityConfig()
    for item in captured:
        headers: dict[str, list[str]] = {}
        for name, value in item["headers"]:
            headers.setdefault(name, []).append(value)
        request = HttpRequest(
            item["method"],
            item["url"],
            headers,
            process_body(item["body"], headers.get("content-type", [None])[0]),
        )
        response_headers = {k: [v] for k, v in item["response_headers"].items()}
        response = HttpResponse(
            item["status"],
            response_headers,
            process_body(item["response_body"], item["response_headers"].get("content-type")),
        )
        cassette.add_interaction(
            scrub_interaction(HttpInteraction(request, response, "2026-11-25T00:00:00Z"), security)
        )
    cassette.save(path)
    out["file_bytes"] = os.path.getsize(path)

    def load() -> tuple[tuple[int, int], int]:
        start = w.clocks()
        context = use_cassette(path, record_mode="none", match_on=["method", "uri", "body"])
        context.__enter__()
        elapsed = w.since(start)
        context.__exit__(None, None, None)
        return elapsed, len(captured)

    try:
        load()
    except Exception as exc:
        out["cannot_load"] = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        print(json.dumps(out))
        return

    floor = w.floor_handler(httpx2, captured)
    floor_client = openai.OpenAI(
        base_url=w.BASE_URL,
        api_key=w.API_KEY,
        http_client=httpx2.Client(transport=httpx2.MockTransport(floor)),
    )
    real_client = openai.OpenAI(base_url=w.BASE_URL, api_key=w.API_KEY)

    def timed(client: object, indexes: list[int]) -> tuple[int, int]:
        start = w.clocks()
        for index in indexes:
            w.run_call(client, calls[index])
        return w.since(start)

    def cassetter_block(indexes: list[int]) -> tuple[int, int]:
        # A fresh cassette per block: entering loads it (untimed here).
        with use_cassette(path, record_mode="none", match_on=["method", "uri", "body"]):
            return timed(real_client, indexes)

    chunks = w.blocks(sample)
    # warm up (and check that cassetter answers every sampled call)
    floor.reset()
    timed(floor_client, sample)
    for chunk in chunks:
        cassetter_block(chunk)
    loads = w.interleave({"load": load}, job["load_repeats"])["load"]
    raw = w.interleave_blocks(
        {
            "floor": (floor.reset, lambda ix: timed(floor_client, ix)),
            "cassetter": (lambda: None, cassetter_block),
        },
        chunks,
        job["repeats"],
    )
    for clock, suffix in ((0, ""), (1, "_cpu")):
        out["load_ns_per_interaction" + suffix] = sorted(load[clock] for load in loads)[
            len(loads) // 2
        ]
        out["floor_ns" + suffix] = w.per_request(raw["floor"], chunks, clock=clock)
        out["cassetter_ns" + suffix] = w.per_request(raw["cassetter"], chunks, clock=clock)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
