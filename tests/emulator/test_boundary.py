"""The emulator's boundary, attacked as a web page would: DNS rebinding (a foreign `Host`),
cross-origin requests to the control endpoints and the API (loopback origins included), and
control requests without the server's token. Refused requests change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.emulator import EmulatorServer, create_app
from harness.emulator.http.boundary import Boundary

API_HEADERS = {"Authorization": "Bearer sk-test", "OpenAI-Beta": "assistants=v2"}
FOREIGN_HOSTS = [
    "attacker.example",
    "attacker.example:8080",
    "127.0.0.1.nip.io",
    "localhost.attacker.example",
    "evil.localhost.example:80",
    "[::ffff:7f00:1]x",
    "",
    "0.0.0.0",
    "192.168.1.5",
    "user@127.0.0.1",
]
LOOPBACK_HOSTS = ["127.0.0.1", "localhost:1234", "LOCALHOST", "[::1]:80", "127.0.0.2", "localhost."]
FOREIGN_ORIGINS = [
    "http://attacker.example",
    "https://127.0.0.1.nip.io",
    "null",
    "file://",
    "http://localhost:3000",
    "http://127.0.0.1:9999",
    "http://[::1]:8080",
]
# What a page can make a browser send: (method, path, body) for control and API alike.
STATE_CHANGES = [
    ("POST", "/_emulator/reset", None),
    ("PUT", "/_emulator/brain", b'[{"actions": [{"say": "owned"}]}]'),
    ("POST", "/v1/assistants", b'{"model": "gpt-4o", "name": "owned"}'),
    ("POST", "/v1/threads/runs", b'{"assistant_id": "asst_x", "thread": {}}'),
]


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One HTTP client for the module (making one loads the CA certificates: ~25 ms)."""
    with httpx.Client() as client:
        yield client


def _counts(http: httpx.Client, emulator: Any) -> dict[str, int]:
    health = http.get(emulator.url + "/_emulator/health", headers=emulator.control_headers)
    return dict(health.json()["counts"])


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
def test_a_foreign_host_is_refused(
    http: httpx.Client, client: Any, emulator: Any, host: str
) -> None:
    client.beta.assistants.create(model="gpt-4o")
    before = _counts(http, emulator)
    for method, path, body in [*STATE_CHANGES, ("GET", "/v1/assistants", None)]:
        response = http.request(
            method, emulator.url + path, content=body, headers={**API_HEADERS, "Host": host}
        )
        assert response.status_code == 400, (path, response.text)
        error = response.json()["error"]
        assert error["code"] == "host_not_allowed" and "--allow-host" in error["message"]
    assert _counts(http, emulator) == before


@pytest.mark.parametrize("host", LOOPBACK_HOSTS)
def test_loopback_hosts_are_served(http: httpx.Client, emulator: Any, host: str) -> None:
    response = http.get(emulator.url + "/v1/assistants", headers={**API_HEADERS, "Host": host})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
def test_a_cross_origin_request_is_refused_and_changes_nothing(
    http: httpx.Client, client: Any, emulator: Any, origin: str
) -> None:
    client.beta.assistants.create(model="gpt-4o")
    before = _counts(http, emulator)
    for method, path, body in STATE_CHANGES:
        headers = {**API_HEADERS, **emulator.control_headers, "Origin": origin}
        response = http.request(method, emulator.url + path, content=body, headers=headers)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["error"]["code"] == "origin_not_allowed"
    assert _counts(http, emulator) == before


def test_a_cross_site_request_without_origin_is_refused(http: httpx.Client, emulator: Any) -> None:
    response = http.post(
        emulator.url + "/_emulator/reset", headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403


def test_programs_and_the_emulators_own_origin_are_served(
    http: httpx.Client, emulator: Any
) -> None:
    own = {"Origin": f"http://127.0.0.1:{emulator.port}"}
    for headers in ({}, own, {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}):
        response = http.post(
            emulator.url + "/_emulator/reset", headers={**headers, **emulator.control_headers}
        )
        assert response.status_code == 200, (headers, response.text)


def test_loopback_needs_the_token_too(http: httpx.Client, emulator: Any) -> None:
    assert emulator.token is not None
    assert http.post(emulator.url + "/_emulator/reset").status_code == 401


class InProcess:
    """Requests straight into the ASGI app (no socket: nothing listens beyond loopback)."""

    def __init__(self, app: Any, base_url: str) -> None:
        self.app = app
        self.base_url = base_url

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=self.base_url) as http:
                return await http.request(method, path, **kwargs)

        return asyncio.run(send())

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)


def test_beyond_loopback_control_needs_the_servers_token() -> None:
    boundary = Boundary.for_bind("0.0.0.0")
    assert boundary.token is not None and len(boundary.token) >= 32
    assert Boundary.for_bind("0.0.0.0").token != boundary.token  # a fresh one per server
    http = InProcess(create_app(boundary=boundary), "http://192.168.1.5:8080")
    for token in (None, "", "wrong", boundary.token[:-1], boundary.token + "x"):
        headers = {} if token is None else {"X-Emulator-Token": token}
        for method, path, body in [*STATE_CHANGES[:2], ("GET", "/_emulator/health", None)]:
            answer = http.request(method, path, content=body, headers=headers)
            assert answer.status_code == 401, (token, path)
            assert answer.json()["error"]["code"] == "invalid_control_token"
    good = {"X-Emulator-Token": boundary.token}
    assert http.post("/_emulator/reset", headers=good).status_code == 200
    assert http.get("/v1/assistants", headers=API_HEADERS).status_code == 200
    # any IP literal names a wildcard-bound server; a DNS name only when allowed
    assert http.get("/v1/assistants", headers={**API_HEADERS, "Host": "10.0.0.7"}).is_success
    assert (
        http.get("/v1/assistants", headers={**API_HEADERS, "Host": "emulator"}).status_code == 400
    )


def test_allowed_hosts_and_the_bound_address_are_served() -> None:
    app = create_app(boundary=Boundary.for_bind("192.168.1.5", ["emulator", "[fd00::5]"]))
    http = InProcess(app, "http://x")
    for host, status in [
        ("emulator:8080", 200),
        ("EMULATOR", 200),
        ("[fd00::5]:80", 200),
        ("192.168.1.5:8080", 200),
        ("192.168.1.6:8080", 400),
        ("emulator.attacker.example", 400),
    ]:
        answer = http.get("/v1/assistants", headers={**API_HEADERS, "Host": host})
        assert answer.status_code == status, host


def test_every_in_process_server_has_a_token() -> None:
    server = EmulatorServer(host="::1")
    assert len(server.token) >= 32 and server.boundary.token == server.token
    server = EmulatorServer(host="0.0.0.0")  # not started: nothing listens
    assert server.token is not None and server.boundary.token == server.token
