"""Cassette load time and memory by spelling: what a comment, a hand edit or vcrpy costs.

    .venv/bin/python bench/cassette_load.py [--mb 80] [--yaml-mb 8] [--repeats 3]

Builds one large cassette of realistic Assistants traffic (polled and streamed
runs, message listings with long texts) with `dumps`, then times
`read_cassette` on variants of it, all in one run, each load in a fresh
subprocess (so peak memory is the load's own):

  as written         what `dumps` writes: the fast reader (orjson per value);
  one comment        one `# reviewer's note` line in the middle;
  comment per item   a comment line and a blank line before every interaction;
  hand-edited        one value re-spelled as YAML (`'method': POST`): the file
                     no longer has our layout, so YAML reads it all;
  vcrpy              the same traffic as a vcrpy / pytest-recording cassette,
                     read by YAML and migrated.

The YAML variants are measured on a smaller cassette (`--yaml-mb`) beside an
"as written" load of that same smaller cassette, so every ratio compares
files of one size. The issue this answers: one comment line used to send an
83 MB cassette through YAML, 8x slower (24 s / 2.5 GB instead of 2.9 s /
0.5 GB); a comment may now cost at most 2x.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.api.sse import render as render_sse
from harness.cassette.format import dumps
from harness.cassette.model import Cassette, Interaction, Request, Response

# Peak memory from VmHWM: unlike ru_maxrss it starts afresh at exec, not at the parent's peak.
_MEASURE = """
import json, sys, time
from pathlib import Path
from harness.cassette.storage import read_cassette

def peak_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0

before = peak_kb()
start = time.perf_counter()
cassette = read_cassette(Path(sys.argv[1]))
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "mb": (peak_kb() - before) / 1024, "n": len(cassette)}))
"""

_TEXT = (
    "To find the derivative of f(x) = 3x^2 + 2x - 5, apply the power rule to each term: "
    "d/dx 3x^2 = 6x, d/dx 2x = 2, and the constant vanishes. So f'(x) = 6x + 2. "
)


def _unit(number: int) -> list[Interaction]:
    """One thread's conversation: message, polled run, listing, streamed run."""
    thread, run = f"thread_{number:08d}", f"run_{number:08d}"
    obj = {
        "id": run,
        "object": "thread.run",
        "created_at": 1764000000 + number,
        "thread_id": thread,
        "assistant_id": "asst_1",
        "status": "in_progress",
        "instructions": "You are a personal math tutor. Answer briefly.",
        "tools": [{"type": "code_interpreter"}],
        "metadata": {},
        "temperature": 1.0,
        "top_p": 1.0,
        "usage": None,
    }
    message = {
        "id": f"msg_{number:08d}",
        "object": "thread.message",
        "created_at": 1764000000 + number,
        "thread_id": thread,
        "role": "assistant",
        "content": [{"type": "text", "text": {"value": _TEXT * 8, "annotations": []}}],
    }
    json_headers = {"content-type": "application/json"}
    return [
        Interaction(
            Request("POST", f"/threads/{thread}/messages", body={"role": "user", "content": "Hi"}),
            Response(200, json_headers, dict(message, role="user")),
        ),
        Interaction(
            Request("POST", f"/threads/{thread}/runs", body={"assistant_id": "asst_1"}),
            Response(200, json_headers, dict(obj, status="queued")),
        ),
        Interaction(Request("GET", f"/threads/{thread}/runs/{run}"), Response(200, body=obj), 5),
        Interaction(
            Request("GET", f"/threads/{thread}/runs/{run}"),
            Response(200, body=dict(obj, status="completed")),
        ),
        Interaction(
            Request("GET", f"/threads/{thread}/messages", query=(("order", "desc"),)),
            Response(200, json_headers, {"object": "list", "data": [message], "has_more": False}),
        ),
        Interaction(
            Request("POST", f"/threads/{thread}/runs", body={"assistant_id": "a", "stream": True}),
            Response(
                200,
                {"content-type": "text/event-stream"},
                events=(
                    {"event": "thread.run.created", "data": dict(obj, status="queued")},
                    *(
                        {
                            "event": "thread.message.delta",
                            "data": {"id": message["id"], "delta": {"content": [_TEXT[:40]]}},
                        }
                        for _ in range(6)
                    ),
                    {"event": "thread.run.completed", "data": dict(obj, status="completed")},
                    {"event": "done", "data": "[DONE]"},
                ),
            ),
        ),
    ]


def build(megabytes: float) -> Cassette:
    unit_size = len(dumps(Cassette(interactions=_unit(0))))
    units = max(1, int(megabytes * 1e6 / unit_size))
    interactions = [i for n in range(units) for i in _unit(n)]
    return Cassette(meta={"harness": "bench", "base_path": "/v1"}, interactions=interactions)


def _one_comment(text: str) -> str:
    middle = text.index("\n- request: ", len(text) // 2)
    return text[:middle] + "\n# a reviewer's note: this run was re-recorded" + text[middle:]


def _comment_per_item(text: str) -> str:
    return text.replace("\n- request: ", "\n# next exchange\n\n- request: ")


def _hand_edited(text: str) -> str:
    return text.replace('"method": "POST"', "'method': POST", 1)


def _vcrpy(cassette: Cassette) -> str:
    """The cassette's traffic as vcrpy writes it (bodies as strings, full URLs)."""
    interactions: list[dict[str, Any]] = []
    for request, response in cassette.exchanges():
        query = "&".join(f"{k}={v}" for k, v in request.query)
        if response.events is not None:
            body = render_sse(response.events).decode()
        else:
            body = orjson.dumps(response.body).decode()
        interactions.append(
            {
                "request": {
                    "method": request.method,
                    "uri": "https://api.openai.com/v1"
                    + request.path
                    + ("?" + query if query else ""),
                    "body": orjson.dumps(request.body).decode() if request.body else None,
                    "headers": {"Content-Type": ["application/json"]},
                },
                "response": {
                    "status": {"code": response.status, "message": "OK"},
                    "headers": {k: [v] for k, v in response.headers.items()},
                    "body": {"string": body},
                },
            }
        )
    text: str = yaml.safe_dump({"interactions": interactions, "version": 1}, allow_unicode=True)
    return text


def measure(path: Path, repeats: int) -> dict[str, float]:
    """The fastest of `repeats` loads, each in a fresh interpreter."""
    best: dict[str, float] | None = None
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(path)],
            capture_output=True,
            text=True,
            check=True,
            env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1])),
        )
        result = json.loads(done.stdout)
        if best is None or result["seconds"] < best["seconds"]:
            best = result
    assert best is not None
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=float, default=80, help="size of the big cassette (MB)")
    parser.add_argument("--yaml-mb", type=float, default=8, help="size for the YAML variants")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-cassette-load-"))
    big, small = build(args.mb), build(args.yaml_mb)
    big_text, small_text = dumps(big), dumps(small)
    variants = [
        ("as written", big_text, "big"),
        ("one comment", _one_comment(big_text), "big"),
        ("comment per item", _comment_per_item(big_text), "big"),
        ("as written", small_text, "small"),
        ("hand-edited (YAML)", _hand_edited(small_text), "small"),
        ("vcrpy (YAML + migration)", _vcrpy(small), "small"),
    ]
    del big, small
    baseline: dict[str, dict[str, float]] = {}
    print(f"{'variant':<28}{'size MB':>9}{'load s':>9}{'peak MB':>9}{'time x':>8}{'mem x':>7}")
    for number, (name, text, group) in enumerate(variants):
        path = folder / f"{number}-{group}.yaml"
        path.write_text(text, encoding="utf-8")
        result = measure(path, args.repeats)
        base = baseline.setdefault(group, result)
        print(
            f"{name:<28}{path.stat().st_size / 1e6:>9.1f}{result['seconds']:>9.2f}"
            f"{result['mb']:>9.0f}{result['seconds'] / base['seconds']:>8.2f}"
            f"{result['mb'] / max(base['mb'], 1):>7.2f}"
        )
        path.unlink()
    folder.rmdir()


if __name__ == "__main__":
    main()
