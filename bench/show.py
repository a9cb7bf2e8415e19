"""Trace page render time (`harness show`) by cassette size: must stay under 1 s at 10,000.

    .venv/bin/python bench/show.py [--sizes 1000,2000,5000,10000] [--repeats 3]

Builds cassettes of N interactions from the seed scenarios' recordings (polled and
streamed runs, tool calls, code, file search, listings, errors, cycled in order) and times,
side by side in one run, the best of `--repeats`:

  transcript   `harness transcript`'s work (the cassette read as a conversation): the floor;
  page data    the page's data (`harness.show.view.trace_data`: transcript, invariants,
               interactions, timelines, conversation);
  html         the whole page (`trace_html`: the data, then JSON embedded in the template).

Reading the YAML file is left out (`bench/cassette_load.py` measures it). Times are CPU
seconds of this process (a machine shared with other work inflates wall time, not these);
the last column is the page's wall time. Prints the time per 1,000 interactions and the
page's size, and at 10,000 the render time and its ratio to the transcript alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.cassette.model import Cassette
from harness.cassette.storage import read_cassette
from harness.show import trace_html
from harness.show.view import trace_data
from harness.transcript import transcript

ROOT = Path(__file__).resolve().parents[1]


def seed_cassette(size: int) -> Cassette:
    recorded = [read_cassette(p) for p in sorted((ROOT / "cassettes" / "scenarios").glob("*.yaml"))]
    pool = [i for c in recorded for i in c.interactions]
    many = (pool * (size // len(pool) + 1))[:size]
    return Cassette(meta=recorded[0].meta, interactions=many)


def best(
    work: Callable[[], object], repeats: int, clock: Callable[[], float] = time.process_time
) -> float:
    times = []
    for _ in range(repeats):
        start = clock()
        work()
        times.append(clock() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,2000,5000,10000")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(
        f"{'interactions':>12} {'transcript':>11} {'page data':>10} {'html':>8} "
        f"{'per 1,000':>10} {'page MB':>8} {'html wall':>10}"
    )
    last: tuple[int, float, float] | None = None
    for size in (int(s) for s in args.sizes.split(",")):
        cassette = seed_cassette(size)
        floor = best(lambda c=cassette: transcript(c), args.repeats)
        data = best(lambda c=cassette: trace_data(c, "bench"), args.repeats)
        page = trace_html(cassette, "bench")
        html = best(lambda c=cassette: trace_html(c, "bench"), args.repeats)
        wall = best(lambda c=cassette: trace_html(c, "bench"), args.repeats, time.perf_counter)
        print(
            f"{size:>12} {floor:>10.3f}s {data:>9.3f}s {html:>7.3f}s "
            f"{html / size * 1000:>9.3f}s {len(page.encode()) / 1e6:>8.1f} {wall:>9.3f}s"
        )
        last = (size, html, floor)
    if last is not None:
        size, html, floor = last
        verdict = "under" if html < 1.0 else "OVER"
        print(
            f"render at {size:,}: {html:.3f} s ({verdict} the 1 s budget), "
            f"{html / floor:.1f}x the transcript alone"
        )


if __name__ == "__main__":
    main()
