"""Replay and load speed of this project's cassettes against vcrpy and cassetter.

    .venv/bin/python bench/replay.py [--quick] [--sizes 100,1000,10000]
        [--polls 100,2000,10000] [--streams 100] [--load-size 10000]
        [--cassetter-python /tmp/bench-cassetter/bin/python]

Workloads (bench/_workload.py), each replayed side by side, all in one run:

  mixed       realistic Assistants conversations of 100, 1,000 and 10,000 requests (message
              creates, run creates, run polls answering in_progress then completed, message
              lists with order/after, streamed runs);
  polling     one Assistants run polled N times with `runs.retrieve`, and one background
              Responses response polled N times with `responses.retrieve` (`in_progress`,
              then `completed`), at 100, 2,000 and 10,000 polls: the ratio stays flat;
  streaming   N streamed Assistants runs and N streamed Responses `responses.create`.

Variants, per workload:

  (a) floor      the same openai SDK calls over `httpx2.MockTransport` (httpx's under
                 openai 2.x), answered
                 from a precomputed dict: no recording layer at all;
  (b) harness    this project's replay: vcrpy's transport patch driven by
                 `Interception` + the indexed `Player`, real `openai.OpenAI()`;
  (c) vcrpy      vcrpy's own replay of the same traffic (its default matchers
                 plus `body`, `allow_playback_repeats=True`);
  (d) cassetter  cassetter's replay (in a separate venv, own floor measured
                 in that process), where it can load the cassette (mixed only, not with
                 `--quick`).

Per-request time is measured over requests spread evenly across the whole
cassette (not just its first ones), each played from a fresh player (a real
test plays each recorded response once, so nothing is served warm from a
previous pass). Variants are interleaved block by block and the median of several
repeats is kept. Load time (at `--load-size` interactions of the mixed workload) covers
what a test pays before its first request: for (b), read + parse and validate every request
+ index, as replay loads a cassette (each response is parsed and validated when it is first
served, which the replay times include: every repeat loads the cassette afresh), and on a
line of its own what reading every response at once costs (what `harness` commands do);
`Cassette.load` for (c), `use_cassette().__enter__` for (d). The last tables print, per
workload, the floor's µs per request and each variant's ratio to it, in CPU time (steadier
on a shared machine) and wall time. `--quick` (what CI prints) times the mixed workload at
1,000 requests only, polls at 100 and 2,000, fewer repeats, and the load at 10,000.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _workload as w
import openai
import vcr
from vcr.cassette import Cassette as VcrCassette
from vcr.patch import CassettePatcherBuilder
from vcr.request import Request as VcrRequest
from vcr.serialize import serialize as vcr_serialize
from vcr.serializers import yamlserializer

from harness.adapters.openai_sdk import no_waits
from harness.adapters.vcrpy import VcrFace, patch_transports
from harness.cassette.interception import Interception
from harness.cassette.model import Cassette
from harness.cassette.player import Player
from harness.cassette.recorder import Recorder
from harness.cassette.redact import Redactor
from harness.cassette.storage import read_cassette, write_cassette

http = w.http_module()  # httpx2 under openai 3.x, httpx under 2.x
BASE_PATH = "/v1"
VCR_MATCH_ON = ["method", "scheme", "host", "port", "path", "query", "body"]
DEFAULT_CASSETTER_PYTHON = "/tmp/bench-cassetter/bin/python"
Measure = Callable[[], tuple[tuple[int, int], int]]


@dataclass
class Files:
    size: int
    workload: w.Workload
    captured: list[dict[str, Any]]
    harness: Path
    harness_flat: Path
    vcr: Path
    stored: int  # interactions the harness file stores after polling compaction


def _vcr_response(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": {"code": item["status"], "message": "OK"},
        "headers": {name: [value] for name, value in item["response_headers"].items()},
        "body": {"string": item["response_body"]},
    }


def make_files(size: int, folder: Path, workload: w.Workload | None = None) -> Files:
    """Capture the workload once and write it as each tool would record it."""
    workload = workload or w.build(size)
    captured = w.capture(workload)
    # The harness file, through the same path a recording takes.
    recorder = Recorder(Redactor.build((w.API_KEY,)))
    recording = Interception(
        player=None,
        recorder=recorder,
        redactor=recorder.redactor,
        api_urls=(w.BASE_URL,),
        source="bench",
        rerecord_hint="",
    )
    for item in captured:
        recording.record(
            item["method"], item["url"], dict(item["headers"]), item["body"], _vcr_response(item)
        )
    meta = {"harness": "bench", "backend": "emulator", "base_path": BASE_PATH}
    cassette = Cassette(meta=meta, interactions=list(recorder.interactions))
    harness = folder / f"harness-{size}.yaml"
    write_cassette(harness, cassette)
    flat = Cassette(
        meta=meta,
        interactions=[
            replace(interaction, repeat=1)
            for interaction in cassette.interactions
            for _ in range(interaction.repeat)
        ],
    )
    harness_flat = folder / f"harness-flat-{size}.yaml"
    write_cassette(harness_flat, flat)
    # The vcrpy file, through vcrpy's own serializer.
    requests = [
        VcrRequest(item["method"], item["url"], item["body"], dict(item["headers"]))
        for item in captured
    ]
    text = vcr_serialize(
        {"requests": requests, "responses": [_vcr_response(item) for item in captured]},
        yamlserializer,
    )
    vcr_path = folder / f"vcr-{size}.yaml"
    vcr_path.write_text(text)
    return Files(
        size, workload, captured, harness, harness_flat, vcr_path, len(cassette.interactions)
    )


def vcr_config(path: Path) -> dict[str, Any]:
    config = vcr.VCR(match_on=VCR_MATCH_ON).get_merged_config(
        path=str(path), record_mode="none", allow_playback_repeats=True
    )
    for name in ("path_transformer", "func_path_generator", "record_on_exception"):
        config.pop(name, None)
    return config


@contextlib.contextmanager
def vcr_patched(cassette: VcrCassette) -> Iterator[None]:
    """What `use_cassette` does once the cassette is loaded."""
    with contextlib.ExitStack() as stack:
        for patcher in CassettePatcherBuilder(cassette).build():
            stack.enter_context(patcher)
        yield


def harness_interception(cassette: Cassette, source: str) -> Interception:
    return Interception(
        player=Player(cassette),
        recorder=None,
        redactor=Redactor(),
        api_urls=(w.BASE_URL,),
        source=source,
        rerecord_hint="",
    )


def median(values: list[float]) -> float:
    return statistics.median(values)


def time_loads(files: Files, repeats: int) -> dict[str, tuple[float, float]]:
    """Median load time per recorded exchange, (wall, cpu) ns, per variant."""
    count = files.size

    def harness_load(path: Path, responses_later: bool = True) -> Measure:
        def measure() -> tuple[tuple[int, int], int]:
            start = w.clocks()
            player = Player(read_cassette(path, responses_later=responses_later))
            elapsed = w.since(start)
            del player  # freeing it is not loading it: outside the clock
            return elapsed, count

        return measure

    def vcr_load() -> tuple[tuple[int, int], int]:
        config = vcr_config(files.vcr)
        start = w.clocks()
        cassette = VcrCassette.load(**config)
        elapsed = w.since(start)
        del cassette
        return elapsed, count

    variants: dict[str, Measure] = {
        "harness": harness_load(files.harness),
        "harness_flat": harness_load(files.harness_flat),
        "harness_whole": harness_load(files.harness, responses_later=False),
        "vcrpy": vcr_load,
    }
    vcr_repeats = repeats if files.size < 5000 else max(2, repeats - 2)
    results = w.interleave({k: v for k, v in variants.items() if k != "vcrpy"}, repeats)
    results.update(w.interleave({"vcrpy": vcr_load}, vcr_repeats))
    return {
        name: (median([v[0] for v in values]), median([v[1] for v in values]))
        for name, values in results.items()
    }


def time_replay(
    files: Files, sample: list[int], repeats: int, vcr_blocks_per_repeat: int
) -> dict[str, list[float]]:
    """Per repeat, ns per request of each variant (blocks interleaved)."""
    calls = files.workload.calls
    floor = w.floor_handler(http, files.captured)
    floor_client = openai.OpenAI(
        base_url=w.BASE_URL,
        api_key=w.API_KEY,
        http_client=http.Client(transport=http.MockTransport(floor)),
    )
    real_client = openai.OpenAI(base_url=w.BASE_URL, api_key=w.API_KEY)
    vcr_cassette = VcrCassette.load(**vcr_config(files.vcr))
    chunks = w.blocks(sample)
    state: dict[str, Interception] = {}

    def timed(client: Any, indexes: list[int]) -> tuple[int, int]:
        start = w.clocks()
        for index in indexes:
            w.run_call(client, calls[index])
        return w.since(start)

    def floor_block(indexes: list[int]) -> tuple[int, int]:
        return timed(floor_client, indexes)

    def harness_start() -> None:
        previous = state.get("harness")
        if previous is not None and previous.misses:
            raise AssertionError(previous.misses[0])
        # A fresh load and player, as a test has: no response read by an earlier repeat.
        loaded = read_cassette(files.harness, responses_later=True)
        state["harness"] = harness_interception(loaded, str(files.harness))

    def harness_block(indexes: list[int]) -> tuple[int, int]:
        with patch_transports(state["harness"]), no_waits():
            return timed(real_client, indexes)

    def vcr_block(indexes: list[int]) -> tuple[int, int]:
        with vcr_patched(vcr_cassette):
            return timed(real_client, indexes)

    # Warm up, and check that the replays answer what the floor answers.
    floor.reset()
    expected = [w.run_call(floor_client, calls[index]) for index in sample]
    harness_start()
    with patch_transports(state["harness"]), no_waits():
        got = [w.run_call(real_client, calls[index]) for index in sample]
    if _dump(expected) != _dump(got):
        raise AssertionError("harness replay differs from the floor")
    with vcr_patched(vcr_cassette):
        for chunk in w.spread(min(3, len(chunks)), len(chunks)):
            for index in chunks[chunk]:
                if calls[index][0] in ("runs.retrieve", "responses.retrieve"):
                    continue  # with repeats allowed, vcrpy serves a key's first poll again
                if _dump([w.run_call(real_client, calls[index])]) != _dump(
                    [expected[sample.index(index)]]
                ):
                    raise AssertionError(f"vcrpy replay differs from the floor at call {index}")

    def vcr_only(repeat: int) -> set[int]:
        count = min(vcr_blocks_per_repeat, len(chunks))
        if count == len(chunks):
            return set(range(len(chunks)))
        stride = len(chunks) / count
        offset = (repeat * 0.618 % 1) * stride  # a different spread set each repeat
        return {int(offset + i * stride) % len(chunks) for i in range(count)}

    raw = w.interleave_blocks(
        {
            "floor": (floor.reset, floor_block),
            "harness": (harness_start, harness_block),
            "vcrpy": (lambda: None, vcr_block),
        },
        chunks,
        repeats,
        only={"vcrpy": vcr_only},
    )
    harness_start()  # checks the last repeat's misses
    out = {}
    for clock, suffix in ((0, ""), (1, "_cpu")):
        out["floor" + suffix] = w.per_request(raw["floor"], chunks, clock=clock)
        out["harness" + suffix] = w.per_request(raw["harness"], chunks, clock=clock)
        out["vcrpy" + suffix] = w.per_request(raw["vcrpy"], chunks, clock=clock)
        out["floor_vcr" + suffix] = w.per_request(
            raw["floor"], chunks, like=raw["vcrpy"], clock=clock
        )
    return out


def _dump(results: list[Any]) -> list[Any]:
    out = []
    for result in results:
        if isinstance(result, list):
            out.append(
                [item.model_dump() if hasattr(item, "model_dump") else item for item in result]
            )
        else:
            out.append(result.model_dump())
    return out


def run_cassetter(
    python: str, files: Files, sample: list[int], repeats: int, load_repeats: int
) -> dict[str, Any]:
    if not Path(python).exists():
        return {
            "cannot_load": f"no cassetter venv at {python} (python -m venv DIR && DIR/bin/pip install cassetter==0.16.1 openai httpx2)"
        }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(
            {
                "captured": w.to_wire(files.captured),
                "calls": files.workload.calls,
                "sample": sample,
                "repeats": repeats,
                "load_repeats": load_repeats,
            },
            handle,
        )
    try:
        done = subprocess.run(
            [python, str(Path(__file__).with_name("_cassetter_worker.py")), handle.name],
            capture_output=True,
            text=True,
            timeout=1800,
        )
    finally:
        os.unlink(handle.name)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"cannot_load": f"worker failed: {last}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def breakdown(files: Files) -> list[tuple[str, float]]:
    """Where the replay layer's time goes for one polled GET and one JSON POST (µs)."""
    from vcr.stubs.httpx_stubs import _make_vcr_request

    from harness.adapters.vcrpy import _make_lazy_request as _make_lazy_vcr_request
    from harness.cassette.matching import request_key
    from harness.cassette.wire import response_to_http

    loaded = read_cassette(files.harness)

    def per_call(fn: Callable[[], Any], n: int = 3000) -> float:
        fn()
        best = []
        for _ in range(5):
            start = time.thread_time_ns()
            for _ in range(n):
                fn()
            best.append((time.thread_time_ns() - start) / n / 1000)
        return median(best)

    def one(kind: str) -> list[tuple[str, float]]:
        index = next(i for i, call in enumerate(files.workload.calls) if call[0] == kind)
        item = files.captured[index]
        real = http.Request(
            item["method"], item["url"], headers=item["headers"], content=item["body"]
        )
        body = item["body"]
        vreq = _make_lazy_vcr_request(real, body)
        interception = harness_interception(loaded, "bench")
        face = VcrFace(interception)
        request = interception.parse(vreq.method, vreq.uri, vreq.http_headers, vreq.body)
        assert request is not None and interception.player is not None
        response = interception.player.find(request)
        assert response is not None
        interception.player.wire(response)

        def stub_io() -> None:
            data = b"".join(real.stream)
            real.stream = http.ByteStream(data)

        def play() -> None:
            face.can_play_response_for(vreq)
            face.play_http(vreq, http)

        def whole() -> None:
            stub_io()
            play_vreq = _make_lazy_vcr_request(real, body)
            face.can_play_response_for(play_vreq)
            face.play_http(play_vreq, http)

        return [
            (f"{kind}: vcrpy stub reads body + ByteStream", per_call(stub_io)),
            (
                f"{kind}: vcrpy's own vcr.request.Request (now skipped)",
                per_call(lambda: _make_vcr_request(real, body)),
            ),
            (
                f"{kind}: the lazy vcr.request.Request built instead",
                per_call(lambda: _make_lazy_vcr_request(real, body)),
            ),
            (
                f"{kind}: request_from_http (httpx headers; a poll's is remembered)",
                per_call(
                    lambda: interception.parse(vreq.method, vreq.uri, vreq.http_headers, vreq.body)
                ),
            ),
            (f"{kind}: request_key", per_call(lambda: request_key(request))),
            (f"{kind}: render response (uncached)", per_call(lambda: response_to_http(response))),
            (f"{kind}: parse again + find + play + {http.__name__}.Response", per_call(play)),
            (f"{kind}: whole replay layer per request", per_call(whole)),
        ]

    return [
        row
        for kind in ("runs.retrieve", "messages.create")
        if any(c[0] == kind for c in files.workload.calls)
        for row in one(kind)
    ]


WORKLOADS = {
    "runs": ("Assistants: one run, N runs.retrieve polls", w.build_polls),
    "background": ("Responses: background, N responses.retrieve polls", w.build_background),
    "streams": ("streaming: N streamed runs + N streamed responses", w.build_streams),
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default=None, help="mixed workloads (default 100,1000,10000)")
    parser.add_argument("--polls", default=None, help="polling workloads (100,2000,10000)")
    parser.add_argument("--streams", default=None, help="streaming workloads (default 100)")
    parser.add_argument("--load-size", type=int, default=10_000, help="load µs/interaction at")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--quick", action="store_true", help="a short table: fewer repeats, one mixed size"
    )
    parser.add_argument(
        "--cassetter-python",
        default=os.environ.get("BENCH_CASSETTER_PYTHON", DEFAULT_CASSETTER_PYTHON),
    )
    parser.add_argument(
        "--requests", type=int, default=2000, help="requests timed per variant and size, at least"
    )
    parser.add_argument(
        "--vcr-budget",
        type=float,
        default=1.5,
        help="seconds of vcrpy replay per repeat (thins its blocks)",
    )
    args = parser.parse_args()
    if args.quick:
        args.requests = min(args.requests, 1000)
        args.vcr_budget = min(args.vcr_budget, 0.5)
    sizes = _numbers(args.sizes or ("1000" if args.quick else "100,1000,10000"))
    polls = _numbers(args.polls or ("100,2000" if args.quick else "100,2000,10000"))
    streams = _numbers(args.streams or "100")
    repeats = 3 if args.quick else args.repeats
    folder = Path(tempfile.mkdtemp(prefix="bench-replay-"))

    print(
        f"openai {openai.__version__}, {http.__name__} {http.__version__}, vcrpy {vcr.__version__}, "
        f"python {sys.version.split()[0]}, {os.cpu_count()} cpus; repeats={repeats}, median kept"
    )
    report: dict[int, dict[str, Any]] = {}
    for size in sizes:
        started = time.perf_counter()
        files = make_files(size, folder)
        calls = len(files.workload.calls)
        sample = w.spread(200, calls)
        size_repeats = max(repeats, -(-args.requests // len(sample)))
        vcr_blocks = _vcr_blocks(files, args.vcr_budget)
        gc.collect()
        loads = time_loads(files, max(3, repeats - 2))
        times = time_replay(files, sample, size_repeats, vcr_blocks)
        cassetter = (
            {"cannot_load": "not run with --quick"}
            if args.quick
            else run_cassetter(
                args.cassetter_python, files, sample, size_repeats, max(3, repeats - 2)
            )
        )
        vcr_requests = min(len(sample), vcr_blocks * 10)
        report[size] = {"files": files, "loads": loads, "times": times, "cassetter": cassetter}
        stored = files.stored
        print(
            f"\n== mixed, {size} interactions ({stored} stored after polling compaction; "
            f"harness file {files.harness.stat().st_size / 1e6:.2f} MB, vcrpy file {files.vcr.stat().st_size / 1e6:.2f} MB; "
            f"{len(sample)} requests spread over the cassette x{size_repeats} repeats, vcrpy {vcr_requests} per repeat; "
            f"{time.perf_counter() - started:.0f} s)"
        )
        print_size(times, loads, cassetter)

    if report and not args.quick:
        print(
            "\n== where the harness replay layer spends its time (largest cassette, CPU µs per call)"
        )
        for name, value in breakdown(report[sizes[-1]]["files"]):
            print(f"  {name:<58}{value:>8.1f}")

    load_at = report[args.load_size]["loads"] if args.load_size in report else None
    if load_at is None and args.load_size:
        files = make_files(args.load_size, folder)
        gc.collect()
        load_at = time_loads(files, max(3, repeats - 2))

    rows: list[tuple[str, int, dict[str, list[float]], int]] = []
    for kind, counts in (("runs", polls), ("background", polls), ("streams", streams)):
        for count in counts:
            times, stored = time_workload(args, folder, repeats, kind, count)
            rows.append((kind, count, times, stored))

    print_summary(report, rows, load_at, args.load_size)


def _numbers(text: str) -> list[int]:
    return [int(n) for n in text.split(",") if n.strip()]


def _vcr_blocks(files: Files, budget: float) -> int:
    """How many blocks of ten requests vcrpy replays per repeat within `budget` seconds: it
    scans the whole cassette per request, so a large one is timed on fewer blocks."""
    probe = VcrCassette.load(**vcr_config(files.vcr))
    real_client = openai.OpenAI(base_url=w.BASE_URL, api_key=w.API_KEY)
    calls = files.workload.calls
    indexes = w.spread(6, len(calls))
    with vcr_patched(probe), no_waits():
        start = time.perf_counter()
        for index in indexes:
            w.run_call(real_client, calls[index])
        per = (time.perf_counter() - start) / len(indexes)
    return max(1, int(budget / (per * 10)))


def time_workload(
    args: argparse.Namespace, folder: Path, repeats: int, kind: str, count: int
) -> tuple[dict[str, list[float]], int]:
    """One polling or streaming workload replayed side by side with the floor and vcrpy."""
    started = time.perf_counter()
    workload = WORKLOADS[kind][1](count)
    files = make_files(len(workload.calls), folder, workload)
    sample = w.spread(200, len(workload.calls))
    gc.collect()
    size_repeats = max(repeats, -(-args.requests // len(sample)))
    times = time_replay(files, sample, size_repeats, _vcr_blocks(files, args.vcr_budget))
    print(
        f"\n== {WORKLOADS[kind][0].replace('N', f'{count:,}')}: {len(workload.calls):,} "
        f"requests, {files.stored} stored; {len(sample)} timed x{size_repeats} repeats "
        f"({time.perf_counter() - started:.0f} s)"
    )
    print(  # now, so a run cut short still says it
        f"   CPU per request: floor {median(times['floor_cpu']) / 1000:.1f} µs, harness "
        f"{ratio(times['harness_cpu'], times['floor_cpu']):.2f}x, vcrpy "
        f"{ratio(times['vcrpy_cpu'], times['floor_vcr_cpu']):.2f}x the floor"
    )
    sys.stdout.flush()
    return times, files.stored


def print_summary(
    report: dict[int, dict[str, Any]],
    rows: list[tuple[str, int, dict[str, list[float]], int]],
    load_at: dict[str, tuple[float, float]] | None,
    load_size: int,
) -> None:
    """Per workload: the floor's µs per request and the harness's and vcrpy's ratios to it."""
    for clock, (suffix, title) in enumerate(
        (("_cpu", "CPU time of the thread, thread_time_ns"), ("", "wall time, perf_counter_ns"))
    ):
        print(f"\n== per request, {title}: ratios to the floor are medians of per-repeat ratios")
        print("   targets: harness <= 1.20 x floor; load < 25 µs per interaction at 10,000")
        print(f"  {'workload':<52}{'floor µs':>10}{'harness':>10}{'vcrpy':>10}{'stored':>9}")
        table = [
            (
                f"mixed: Assistants conversations, {size:,} requests",
                row["times"],
                row["files"].stored,
            )
            for size, row in report.items()
        ] + [
            (WORKLOADS[kind][0].replace("N", f"{count:,}"), times, stored)
            for kind, count, times, stored in rows
        ]
        for label, times, stored in table:
            print(
                f"  {label:<52}{median(times['floor' + suffix]) / 1000:>10.1f}"
                f"{ratio(times['harness' + suffix], times['floor' + suffix]):>10.2f}"
                f"{ratio(times['vcrpy' + suffix], times['floor_vcr' + suffix]):>10.2f}"
                f"{stored:>9,}"
            )
        if load_at is not None:
            print(
                f"  load at {load_size:,} interactions, µs per interaction: harness "
                f"{load_at['harness'][clock] / 1000:.1f} (the same file uncompacted "
                f"{load_at['harness_flat'][clock] / 1000:.1f}), vcrpy {load_at['vcrpy'][clock] / 1000:.1f}"
            )
    sys.stdout.flush()


def ratio(variant: list[float], floor: list[float]) -> float:
    return median([a / b for a, b in zip(variant, floor, strict=True)])


def print_size(
    times: dict[str, list[float]], loads: dict[str, tuple[float, float]], cassetter: dict[str, Any]
) -> None:
    row = "  {:<36}{:>11} µs{:>8}{:>9}{:>13}  |{:>10} µs{:>9}{:>13}"
    print(
        "  {:<36}{:>14}{:>8}{:>9}{:>13}  |{:>13}{:>9}{:>13}".format(
            "", "wall:", "", "", "", "CPU:", "", ""
        )
    )
    print(
        "  {:<36}{:>14}{:>8}{:>9}{:>13}  |{:>13}{:>9}{:>13}".format(
            "variant",
            "per request",
            "spread",
            "x floor",
            "load/inter.",
            "per request",
            "x floor",
            "load/inter.",
        )
    )

    def line(
        label: str,
        key: str | None,
        floor_key: str,
        load: tuple[float, float] | None,
        source: dict[str, Any] = times,
    ) -> None:
        cells = []
        for suffix, clock in (("", 0), ("_cpu", 1)):
            per = f"{median(source[key + suffix]) / 1000:.1f}" if key else ""
            x = f"{ratio(source[key + suffix], source[floor_key + suffix]):.2f}" if key else ""
            spread = _spread(source[key + suffix]) if key else ""
            lo = f"{load[clock] / 1000:.1f} µs" if load else "-"
            cells.append((per, spread, x, lo))
        (p0, s0, x0, l0), (p1, _, x1, l1) = cells
        print(row.format(label, p0, s0, x0, l0, p1, x1, l1))

    line("(a) floor (MockTransport + dict)", "floor", "floor", None)
    line("(b) harness replay", "harness", "floor", loads["harness"])
    print(
        row.format(
            "    same file, without compaction",
            "",
            "",
            "",
            f"{loads['harness_flat'][0] / 1000:.1f} µs",
            "",
            "",
            f"{loads['harness_flat'][1] / 1000:.1f} µs",
        )
    )
    print(
        row.format(
            "    every response read at load",
            "",
            "",
            "",
            f"{loads['harness_whole'][0] / 1000:.1f} µs",
            "",
            "",
            f"{loads['harness_whole'][1] / 1000:.1f} µs",
        )
    )
    line("(c) vcrpy replay", "vcrpy", "floor_vcr", loads["vcrpy"])
    if "cannot_load" in cassetter:
        print(f"  {'(d) cassetter':<36} cannot load: {cassetter['cannot_load']}")
    else:
        line(
            f"(d) cassetter {cassetter.get('version', '')}",
            "cassetter_ns",
            "floor_ns",
            (cassetter["load_ns_per_interaction"], cassetter["load_ns_per_interaction_cpu"]),
            cassetter,
        )
        line("    its floor (its own process)", "floor_ns", "floor_ns", None, cassetter)
    sys.stdout.flush()


def _spread(values: list[float]) -> str:
    """Half the interquartile-ish range of the repeats, as a percentage of the median."""
    if len(values) < 2:
        return "-"
    ordered = sorted(values)
    low, high = ordered[len(ordered) // 4], ordered[-1 - len(ordered) // 4]
    return f"±{(high - low) / 2 / median(values) * 100:.0f}%"


if __name__ == "__main__":
    main()
