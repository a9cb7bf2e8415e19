"""The emulator's throughput next to a trivial loopback server's, for Responses and Assistants.

    .venv/bin/python bench/emulator_throughput.py [--requests 40] [--rounds 30]

Both servers run in this process on 127.0.0.1 under the same uvicorn set-up
(`EmulatorServer`; the trivial one swaps in a Starlette app that answers each
kind of request with the body the emulator gave it once, captured beforehand).
The same `openai.OpenAI` client makes the same requests to each:

- Responses: `responses.create` with string input answered by a brain rule,
  the same streamed, `responses.retrieve`, and `conversations.items.list`;
- Assistants: `threads.create_and_run`, `runs.retrieve`, `messages.create`
  and `messages.list`.

Each round times one batch on each server back to back (in turn first), for
each API, by the wall clock and by this process's CPU time (client and
servers share it; on a loaded machine CPU time is what load does not blur).
Printed per API and clock: the best round's rate on each server and the
median over rounds of the ratio emulator / trivial of the round's two batches,
with its quartiles (the goal is a ratio of at least 0.8 for each API).
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import openai
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from harness.emulator import EmulatorServer

RULES = [{"match": {"message": "(?i)hello"}, "actions": [{"say": "Hello! How can I help today?"}]}]
_ID = re.compile(r"/[a-z]+_[A-Za-z0-9]{8,}")
Key = tuple[str, str, bool]
Workload = Callable[[Any, int], None]


def _key(method: str, path: str, stream: bool) -> Key:
    return (method, _ID.sub("/*", path), stream)


class _Capture:
    """ASGI wrapper keeping the first answer to each kind of request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.answers: dict[Key, tuple[int, bytes, bytes]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status, kind, body = 200, b"", b""

        async def keep(message: Message) -> None:
            nonlocal status, kind, body
            if message["type"] == "http.response.start":
                status = message["status"]
                kind = dict(message["headers"]).get(b"content-type", b"")
            elif message["type"] == "http.response.body":
                body += message.get("body", b"")
            await send(message)

        await self.app(scope, receive, keep)
        key = _key(scope["method"], scope["path"], kind.startswith(b"text/event-stream"))
        self.answers.setdefault(key, (status, kind, body))


def _trivial_app(answers: dict[Key, tuple[int, bytes, bytes]]) -> Starlette:
    async def answer(request: Request) -> Response:
        raw = await request.body()
        stream = bool(raw) and bool(orjson.loads(raw).get("stream"))
        status, kind, body = answers[_key(request.method, request.url.path, stream)]
        return Response(body, status_code=status, media_type=kind.decode())

    methods = ["GET", "POST", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", answer, methods=methods)])


class _Responses:
    def __init__(self, client: Any) -> None:
        self.conversation = client.conversations.create(
            items=[{"type": "message", "role": "user", "content": "hello"}]
        ).id
        self.last = client.responses.create(model="gpt-4o", input="hello").id

    def __call__(self, client: Any, requests: int) -> None:
        for i in range(requests):
            step = i % 4
            if step == 0:
                self.last = client.responses.create(model="gpt-4o", input="hello").id
            elif step == 1:
                for _ in client.responses.create(model="gpt-4o", input="hello", stream=True):
                    pass
            elif step == 2:
                client.responses.retrieve(self.last)
            else:
                client.conversations.items.list(self.conversation)


class _Assistants:
    def __init__(self, client: Any) -> None:
        self.assistant = client.beta.assistants.create(model="gpt-4o").id
        # a full page from the start, so the trivial server's captured list is as long
        self.idle = client.beta.threads.create(
            messages=[{"role": "user", "content": f"hello {i}"} for i in range(20)]
        ).id
        run = client.beta.threads.create_and_run(assistant_id=self.assistant)
        self.thread, self.run = run.thread_id, run.id

    def __call__(self, client: Any, requests: int) -> None:
        threads = client.beta.threads
        for i in range(requests):
            step = i % 4
            if step == 0:
                run = threads.create_and_run(
                    assistant_id=self.assistant,
                    thread={"messages": [{"role": "user", "content": "hello"}]},
                )
                self.thread, self.run = run.thread_id, run.id
            elif step == 1:
                threads.runs.retrieve(self.run, thread_id=self.thread)
            elif step == 2:
                threads.messages.create(self.idle, role="user", content="hello")
            else:
                threads.messages.list(self.idle)


def _client(server: EmulatorServer) -> Any:
    return openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)


def _timed(work: Workload, client: Any, requests: int) -> tuple[float, float]:
    """Wall-clock and CPU seconds (this process: the client and both servers' threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    work(client, requests)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=40, help="per batch (a multiple of 4)")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    capture: dict[str, _Capture] = {}

    def wrap(app: Any) -> _Capture:
        capture["app"] = _Capture(app)
        return capture["app"]

    with EmulatorServer(brain=RULES, wrap=wrap) as emulator, _client(emulator) as c:
        works: dict[str, Workload] = {"responses": _Responses(c), "assistants": _Assistants(c)}
        for work in works.values():
            work(c, 8)  # every kind of request once: the trivial server's answers
        with (
            EmulatorServer(wrap=lambda app: _trivial_app(capture["app"].answers)) as trivial,
            _client(trivial) as t,
        ):
            clients = {"emulator": c, "trivial": t}
            times: dict[tuple[str, str], list[tuple[float, float]]] = {
                (api, name): [] for api in works for name in clients
            }
            for round_ in range(args.rounds):
                for api, work in works.items():
                    # each round's two batches back to back, in turn first
                    order = list(clients) if round_ % 2 else list(reversed(clients))
                    for name in order:
                        work(clients[name], 4)  # warm up
                        times[api, name].append(_timed(work, clients[name], args.requests))
    print(f"{'':11s} {'emulator':>9s} {'trivial':>9s}  ratio  (requests/s, best round)")
    for clock, which in (("wall clock", 0), ("CPU time", 1)):
        print(clock)
        for api in works:
            spent = {name: [t[which] for t in times[api, name]] for name in clients}
            best = {name: args.requests / max(min(spent[name]), 1e-9) for name in clients}
            paired = sorted(
                t / max(e, 1e-9) for e, t in zip(spent["emulator"], spent["trivial"], strict=True)
            )
            print(
                f"  {api:11s} {best['emulator']:9.1f} {best['trivial']:9.1f}  "
                f"{statistics.median(paired):.2f}  (median of the rounds' ratios; "
                f"quartiles {paired[len(paired) // 4]:.2f}-{paired[3 * len(paired) // 4]:.2f})"
            )
    print("goal: ratio >= 0.8 for each API")


if __name__ == "__main__":
    main()
