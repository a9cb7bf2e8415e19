"""The emulator's throughput on Responses requests next to a trivial loopback server's.

    .venv/bin/python bench/emulator_throughput.py [--requests 300] [--rounds 3]

Both servers run in this process on 127.0.0.1 under the same uvicorn set-up
(`EmulatorServer`; the trivial one swaps in a Starlette app that answers every
request with one canned response body). The same `openai.OpenAI` client makes
the same requests to each, synchronous `responses.create` calls with string
input, then streamed ones; rounds are interleaved and the best time of each
kept (the machine is shared). Printed: requests per second and the ratio
emulator / trivial (the goal is at least 0.8).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import openai
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from harness.emulator import EmulatorServer


def _trivial_app(body: bytes, stream: bytes) -> Starlette:
    async def answer(request: Request) -> Response:
        asked = orjson.loads(await request.body())
        if asked.get("stream"):
            return StreamingResponse(iter([stream]), media_type="text/event-stream")
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/v1/responses", answer, methods=["POST"])])


def _canned() -> tuple[bytes, bytes]:
    with EmulatorServer() as server, openai.OpenAI(base_url=server.base_url, api_key="k") as c:
        body = c.responses.with_raw_response.create(model="gpt-4o", input="hello").http_response
        raw = c.responses.with_raw_response.create(model="gpt-4o", input="hello", stream=True)
        return body.content, raw.http_response.read()


def _workload(client: Any, requests: int) -> float:
    started = time.perf_counter()
    for i in range(requests):
        if i % 2:
            for _ in client.responses.create(model="gpt-4o", input="hello", stream=True):
                pass
        else:
            client.responses.create(model="gpt-4o", input="hello")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    body, stream = _canned()
    best = {"emulator": float("inf"), "trivial": float("inf")}
    with (
        EmulatorServer() as emulator,
        EmulatorServer(wrap=lambda app: _trivial_app(body, stream)) as trivial,
    ):
        servers = {"emulator": emulator, "trivial": trivial}
        for _ in range(args.rounds):
            for name, server in servers.items():
                with openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0) as c:
                    _workload(c, 10)  # warm up
                    best[name] = min(best[name], _workload(c, args.requests))
    for name, seconds in best.items():
        print(f"{name:9s} {args.requests / seconds:8.1f} requests/s")
    print(f"ratio emulator/trivial: {best['trivial'] / best['emulator']:.2f} (goal >= 0.8)")


if __name__ == "__main__":
    main()
