"""The emulator's limits hold while a request is read: bodies and uploads over the limit are
refused before they end (nothing buffered whole, nothing spooled past the limit), and clients
that send half a request cannot hold the server's connections."""

from __future__ import annotations

import json
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.emulator import EmulatorServer
from harness.emulator.http.limits import FORM_ALLOWANCE
from harness.emulator.options import EmulatorOptions

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024
AUTH = "Authorization: Bearer sk-test\r\nOpenAI-Beta: assistants=v2\r\n"
BOUNDARY = "limitsboundary"
FILE_HEAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n'
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
    "Content-Type: text/plain\r\n\r\n"
).encode()


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(60)
    return sock


def request_head(path: str, content_type: str, length: int | None = None) -> bytes:
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{AUTH}Content-Type: {content_type}\r\n"
        f"{framing}\r\n\r\n"
    ).encode()


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def read_response(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    """One HTTP response with a Content-Length: status and JSON body."""
    data = b""
    while b"\r\n\r\n" not in data:
        got = sock.recv(65536)
        assert got, f"connection closed before a response: {data!r}"
        data += got
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    length = int(headers["content-length"])
    while len(body) < length:
        got = sock.recv(65536)
        assert got, "connection closed in the response body"
        body += got
    return int(lines[0].split()[1]), json.loads(body[:length])


def refusal(response: tuple[int, dict[str, Any]], code: str, limit: int) -> dict[str, Any]:
    status, body = response
    error = body["error"]
    assert status == 400 and set(error) == {"message", "type", "param", "code"}, body
    assert error["code"] == code and f"maximum is {limit} bytes" in error["message"], error
    return error  # type: ignore[no-any-return]


# --- bodies and uploads: refused before the client has finished sending ------------------


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
def test_a_json_body_over_the_limit_is_answered_before_it_ends(
    emulator: Any, declared: bool
) -> None:
    limit = emulator.backend.options.max_body_bytes
    with connect(emulator.port) as sock:
        if declared:  # 200 MiB announced, a few bytes sent
            sock.sendall(request_head("/v1/threads", "application/json", 200 * MiB) + b"{")
        else:  # past the limit, then the client waits: the body never ends
            sock.sendall(request_head("/v1/threads", "application/json"))
            piece = chunk(b" " * MiB)
            for _ in range(limit // MiB + 2):
                sock.sendall(piece)
        refusal(read_response(sock), "request_too_large", limit)


def test_the_server_keeps_serving_after_a_refused_body(emulator: Any) -> None:
    limit = emulator.backend.options.max_body_bytes
    response = httpx.post(
        emulator.base_url + "/threads",
        content=iter([b" " * MiB] * (limit // MiB + 4)),
        headers={"Authorization": "Bearer sk-test", "OpenAI-Beta": "assistants=v2"},
        timeout=60,
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "request_too_large"
    created = httpx.post(
        emulator.base_url + "/threads",
        json={},
        headers={"Authorization": "Bearer sk-test", "OpenAI-Beta": "assistants=v2"},
    )
    assert created.status_code == 200


@pytest.mark.parametrize("route", ["files", "container files"])
@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
def test_an_upload_over_the_limit_is_refused_while_it_is_read(
    emulator: Any, client: Any, route: str, declared: bool
) -> None:
    limit = emulator.backend.options.max_file_bytes
    path = "/v1/files"
    if route == "container files":
        path = f"/v1/containers/{client.containers.create(name='box').id}/files"
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    with connect(emulator.port) as sock:
        if declared:  # a 512 MiB upload announced
            sock.sendall(request_head(path, content_type, 512 * MiB) + FILE_HEAD)
        else:  # the file's bytes past the limit (and the form's allowance), never ending
            sock.sendall(request_head(path, content_type) + chunk(FILE_HEAD))
            piece = chunk(b"x" * MiB)
            for _ in range((limit + FORM_ALLOWANCE) // MiB + 2):
                sock.sendall(piece)
        error = refusal(read_response(sock), "file_too_large", limit)
    assert error["param"] == "file"


def test_a_file_just_over_the_limit_is_refused_and_one_at_it_is_kept() -> None:
    small = EmulatorOptions(max_file_bytes=1000)
    with EmulatorServer(options=small) as server:
        answers = [
            httpx.post(
                server.base_url + "/files",
                files={"file": ("f.txt", b"x" * size)},
                data={"purpose": "assistants"},
                headers={"Authorization": "Bearer sk-test"},
            )
            for size in (1000, 1001)
        ]
    assert answers[0].status_code == 200 and answers[0].json()["bytes"] == 1000
    assert answers[1].status_code == 400
    assert answers[1].json()["error"]["code"] == "file_too_large"


# --- a server in its own process, with the usual open-file limit -------------------------


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    """`harness emulator` with 1,024 open files (a common default): (port, pid)."""
    log = tmp_path_factory.mktemp("standalone") / "stderr.txt"

    def few_files() -> None:
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))

    with log.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "harness.cli", "emulator", "--port", "0"],
            cwd=ROOT,
            stderr=err,
            preexec_fn=few_files,
        )
    try:
        port = None
        while port is None:
            assert process.poll() is None, log.read_text()
            serving = [line for line in log.read_text().splitlines() if "serving http://" in line]
            if serving:
                port = int(serving[0].split("/v1")[0].rsplit(":", 1)[1])
            else:
                time.sleep(0.05)
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/v1", timeout=5)
                break
            except httpx.TransportError:
                assert process.poll() is None, log.read_text()
                time.sleep(0.05)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=15)


def peak_rss(pid: int) -> int:
    """The process's peak resident memory (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_a_200_mib_body_does_not_grow_the_server(standalone: tuple[int, int]) -> None:
    port, pid = standalone
    before = peak_rss(pid)
    with connect(port) as sock:
        sock.sendall(request_head("/v1/threads", "application/json"))
        piece = chunk(b" " * MiB)
        for _ in range(200):
            sock.sendall(piece)
        sock.sendall(b"0\r\n\r\n")
        refusal(read_response(sock), "request_too_large", 32 * MiB)
    assert peak_rss(pid) - before < 100 * MiB


def test_half_sent_requests_do_not_starve_real_clients(standalone: tuple[int, int]) -> None:
    port, _ = standalone
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1400:
        if hard < 1400:
            pytest.skip("this test opens 1,100 connections")
        resource.setrlimit(resource.RLIMIT_NOFILE, (1400, hard))
    half = b"POST /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-d"
    attackers: list[socket.socket] = []
    try:
        for _ in range(1100):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(half)
            attackers.append(sock)
        response = httpx.get(
            f"http://127.0.0.1:{port}/v1/files",
            headers={"Authorization": "Bearer sk-test"},
            timeout=60,
        )
        assert response.status_code == 200 and response.json()["object"] == "list"
    finally:
        for sock in attackers:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# --- deadlines: headers, stalled bodies; keep-alive untouched ----------------------------


@pytest.fixture(scope="module")
def impatient() -> Iterator[EmulatorServer]:
    with EmulatorServer(options=EmulatorOptions(header_timeout=0.3)) as server:
        yield server


def closed(sock: socket.socket) -> bool:
    """Whether the server closed the connection (without answering)."""
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True


@pytest.mark.parametrize(
    "sent",
    [
        b"",
        b"GET /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\n",
        b"POST /v1/threads HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH.encode() + b"Content-Length: 100"
        b"\r\nContent-Type: application/json\r\n\r\n{",
    ],
    ids=["nothing", "half the headers", "a stalled body"],
)
def test_a_connection_that_owes_bytes_is_closed(impatient: EmulatorServer, sent: bytes) -> None:
    with connect(impatient.port) as sock:
        sock.sendall(sent)
        assert closed(sock)


def test_a_keep_alive_connection_outlives_the_header_deadline(impatient: EmulatorServer) -> None:
    connects: list[str] = []

    def trace(name: str, info: Any) -> None:
        if name == "connection.connect_tcp.started":
            connects.append(name)

    with httpx.Client(headers={"Authorization": "Bearer sk-test"}) as http:
        first = http.get(impatient.base_url + "/files", extensions={"trace": trace})
        time.sleep(1)  # longer than the header deadline, shorter than keep-alive
        second = http.get(impatient.base_url + "/files", extensions={"trace": trace})
    assert first.status_code == second.status_code == 200
    assert len(connects) == 1, "the idle connection was closed before its keep-alive time"


def test_past_the_cap_the_longest_waiting_connection_is_closed() -> None:
    with EmulatorServer(options=EmulatorOptions(max_pending_connections=8)) as server:
        waiting = [connect(server.port) for _ in range(20)]
        try:
            for sock in waiting:
                sock.sendall(b"GET /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            newest = waiting[-1]
            newest.sendall(b"Authorization: Bearer sk-test\r\n\r\n")
            status, body = read_response(newest)
            assert status == 200 and body["object"] == "list"
            assert closed(waiting[0])
        finally:
            for sock in waiting:
                sock.close()
