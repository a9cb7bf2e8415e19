"""The emulator under load and under malformed input, on loopback only.

Load: 32 clients, each on its own keep-alive connection, send 10,000 requests
in all (messages created, pages listed); no answer is a 5xx and every message
is found afterwards, once, in order. Malformed input: Hypothesis builds
requests from the request schemas of the OpenAPI spec (the extract the
harness ships, `harness/api/schemas.json`) and breaks each in
one place; every answer is a well-formed 4xx error object, never a 5xx or a
hang.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.budget import examples
from tests.support.spec import spec

EmulatorServer: Any
try:
    from harness.emulator import EmulatorServer
except ImportError:  # pragma: no cover - the emulator is written in parallel
    EmulatorServer = None

pytestmark = pytest.mark.skipif(EmulatorServer is None, reason="harness.emulator not available")

CLIENTS = 32
REQUESTS = 10_000
TIMEOUT = 10.0
HEADERS = {
    "authorization": "Bearer sk-loadtest",
    "openai-beta": "assistants=v2",
    "content-type": "application/json",
}


class Connection:
    """One keep-alive HTTP connection to the emulator; answers are (status, JSON or text)."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        assert parts.hostname == "127.0.0.1"
        self.prefix = parts.path
        self.http = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)

    def send(
        self, method: str, path: str, body: bytes | None = None, query: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        url = self.prefix + path + ("?" + urlencode(query) if query else "")
        self.http.request(method, url, body=body, headers=HEADERS)
        response = self.http.getresponse()
        raw = response.read()
        if response.getheader("connection", "").lower() == "close":
            self.http.close()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, raw.decode("utf-8", "replace")

    def json(self, method: str, path: str, data: Any = None, **query: Any) -> tuple[int, Any]:
        body = None if data is None else json.dumps(data).encode()
        return self.send(method, path, body, query or None)

    def close(self) -> None:
        self.http.close()


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    with EmulatorServer() as server:
        yield server


# --- load ------------------------------------------------------------------------------


def _client(base_url: str, number: int, budget: int, out: dict[int, Any]) -> None:
    connection = Connection(base_url)
    statuses: list[int] = []
    sent: list[str] = []
    try:
        status, thread = connection.json("POST", "/threads", {})
        statuses.append(status)
        thread_id = thread["id"]
        for index in range(budget - 1):
            if index % 5 == 4:  # a page of the newest messages: the last one sent comes first
                status, page = connection.json(
                    "GET", f"/threads/{thread_id}/messages", limit=5, order="desc"
                )
                if status == 200 and page["data"][0]["content"][0]["text"]["value"] != sent[-1]:
                    status = -1  # the newest message is not the last one sent
            else:
                content = f"client {number} message {len(sent)}"
                status, _ = connection.json(
                    "POST", f"/threads/{thread_id}/messages", {"role": "user", "content": content}
                )
                sent.append(content)
            statuses.append(status)
        out[number] = (thread_id, sent, statuses)
    except Exception as exc:  # reported by the test, with the client's number
        out[number] = exc
    finally:
        connection.close()


def _all_messages(base_url: str, thread_id: str) -> list[str]:
    connection = Connection(base_url)
    values: list[str] = []
    after: str | None = None
    try:
        while True:
            query: dict[str, Any] = {"limit": 100, "order": "asc"}
            if after:
                query["after"] = after
            status, page = connection.json("GET", f"/threads/{thread_id}/messages", **query)
            assert status == 200, page
            values += [m["content"][0]["text"]["value"] for m in page["data"]]
            if not page["has_more"]:
                return values
            after = page["last_id"]
    finally:
        connection.close()


@pytest.mark.slow
def test_32_clients_10000_requests_no_5xx_no_lost_message(emulator: Any) -> None:
    results: dict[int, Any] = {}
    budgets = [REQUESTS // CLIENTS + (1 if n < REQUESTS % CLIENTS else 0) for n in range(CLIENTS)]
    assert sum(budgets) == REQUESTS
    threads = [
        threading.Thread(target=_client, args=(emulator.base_url, n, budgets[n], results))
        for n in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(thread.is_alive() for thread in threads), "a client hung"
    errors = {n: r for n, r in results.items() if isinstance(r, Exception)}
    assert errors == {}
    statuses = [s for _, _, client_statuses in results.values() for s in client_statuses]
    assert len(statuses) == REQUESTS
    assert [s for s in statuses if s >= 500] == []
    assert [s for s in statuses if s != 200] == []
    for thread_id, sent, _ in results.values():
        assert _all_messages(emulator.base_url, thread_id) == sent


# --- malformed requests -------------------------------------------------------------------


SPEC = spec()
COMPONENTS: dict[str, Any] = SPEC["components"]["schemas"]
BODY_OPERATIONS = sorted(
    key
    for key, operation in SPEC["operations"].items()
    if key.startswith("POST ")
    and key.split()[1].startswith(("/assistants", "/threads"))
    and operation["request"] is not None
)
LIST_OPERATIONS = sorted(
    key
    for key in SPEC["operations"]
    if key.startswith("GET ")
    and key.split()[1].startswith(("/assistants", "/threads"))
    and not key.endswith("}")
)


def _resolve(schema: Any) -> dict[str, Any]:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[1]]
    return schema if isinstance(schema, dict) else {}


def _types(schema: Any) -> set[str] | None:
    """The JSON types a schema admits, or None when that is not plain to see."""
    schema = _resolve(schema)
    if "type" in schema:
        kinds = schema["type"]
        found = set(kinds) if isinstance(kinds, list) else {kinds}
        return found | ({"integer"} if "number" in found else set())
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        found = set()
        for branch in branches:
            kinds = _types(branch)
            if kinds is None:
                return None
            found |= kinds
        return found
    return None


SAMPLES: dict[str, Any] = {
    "string": "x",
    "integer": 7,
    "number": 1.5,
    "boolean": True,
    "array": [1, "two"],
    "object": {"unexpected": [None]},
    "null": None,
}


def _plausible(schema: Any) -> Any:
    """A simple value of the right type for a required field (not always a valid one)."""
    schema = _resolve(schema)
    if "enum" in schema:
        return schema["enum"][0]
    kinds = _types(schema) or {"string"}
    for kind in ("string", "array", "object", "integer", "number", "boolean"):
        if kind in kinds:
            return {"string": "gpt-4o", "array": [], "object": {}}.get(kind, SAMPLES[kind])
    return "x"


def _base(schema: dict[str, Any]) -> dict[str, Any]:
    properties = schema.get("properties", {})
    return {name: _plausible(properties.get(name, {})) for name in schema.get("required", [])}


@st.composite
def malformed_request(draw: st.DrawFn) -> tuple[str, str, bytes, str]:
    """(method, path template, body bytes, what is wrong with it)."""
    key = draw(st.sampled_from(BODY_OPERATIONS))
    method, path = key.split(" ", 1)
    schema = _resolve(SPEC["operations"][key]["request"])
    properties: dict[str, Any] = schema.get("properties", {})
    base = _base(schema)
    defects = ["not JSON", "not an object", "unknown field"]
    if schema.get("required"):
        defects.append("required field missing")
    typed = sorted(name for name, sub in properties.items() if _types(sub) is not None)
    if typed:
        defects.append("wrong type")
    defect = draw(st.sampled_from(defects))
    if defect == "not JSON":
        text = json.dumps(base)
        broken = [text[:-1], text + "}", text.replace('"', "'"), "{,}", "nul", "{'a': 1}"]
        body = draw(st.sampled_from([b for b in broken if not _parses(b)])).encode()
    elif defect == "not an object":
        value = draw(
            st.one_of(
                st.lists(st.integers(), max_size=3),
                st.text(max_size=5),
                st.integers(),
                st.none(),
                st.booleans(),
            )
        )
        body = json.dumps(value).encode()
    elif defect == "unknown field":
        name = draw(st.from_regex(r"zz_[a-z]{1,8}", fullmatch=True))
        body = json.dumps({**base, name: draw(st.sampled_from(list(SAMPLES.values())))}).encode()
    elif defect == "required field missing":
        name = draw(st.sampled_from(sorted(schema["required"])))
        body = json.dumps({k: v for k, v in base.items() if k != name}).encode()
        defect += f" ({name})"
    else:
        name = draw(st.sampled_from(typed))
        allowed = _types(properties[name]) or set()
        wrong = sorted(k for k in SAMPLES if k not in allowed)
        kind = draw(st.sampled_from(wrong))
        body = json.dumps({**base, name: SAMPLES[kind]}).encode()
        defect += f" ({name}: {kind})"
    return method, path, body, defect


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


BAD_QUERIES = [
    {"limit": "0"},
    {"limit": "101"},
    {"limit": "ten"},
    {"limit": "-1"},
    {"order": "sideways"},
    {"order": ""},
]


@pytest.fixture(scope="module")
def objects(emulator: Any) -> dict[str, str]:
    """Real ids for path parameters, so bodies are checked, not just ids."""
    connection = Connection(emulator.base_url)
    try:
        _, assistant = connection.json("POST", "/assistants", {"model": "gpt-4o"})
        _, thread = connection.json("POST", "/threads", {})
        _, message = connection.json(
            "POST", f"/threads/{thread['id']}/messages", {"role": "user", "content": "Hi"}
        )
        _, run = connection.json(
            "POST", f"/threads/{thread['id']}/runs", {"assistant_id": assistant["id"]}
        )
    finally:
        connection.close()
    return {
        "assistant_id": assistant["id"],
        "thread_id": thread["id"],
        "message_id": message["id"],
        "run_id": run["id"],
        "step_id": "step_missing",
    }


def _well_formed_error(status: int, answer: Any, what: str) -> None:
    assert 400 <= status < 500, f"{what}: status {status}: {answer!r}"[:2000]
    assert isinstance(answer, dict) and set(answer) == {"error"}, f"{what}: {answer!r}"[:2000]
    error = answer["error"]
    assert isinstance(error, dict), f"{what}: {answer!r}"
    assert {"message", "type", "param", "code"} <= set(error), f"{what}: {error!r}"
    assert isinstance(error["message"], str) and error["message"], f"{what}: {error!r}"
    assert isinstance(error["type"], str), f"{what}: {error!r}"
    assert error["param"] is None or isinstance(error["param"], str), f"{what}: {error!r}"
    assert error["code"] is None or isinstance(error["code"], str), f"{what}: {error!r}"


@settings(
    max_examples=examples(300),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=malformed_request())
def test_malformed_bodies_get_a_well_formed_4xx(
    emulator: Any, objects: dict[str, str], request: tuple[str, str, bytes, str]
) -> None:
    method, template, body, defect = request
    path = template.format(**objects)
    connection = Connection(emulator.base_url)
    try:
        status, answer = connection.send(method, path, body)
    finally:
        connection.close()
    _well_formed_error(status, answer, f"{method} {template} with {defect}: {body[:200]!r}")


@pytest.mark.parametrize("query", BAD_QUERIES, ids=lambda q: urlencode(q) or "empty")
@pytest.mark.parametrize("operation", LIST_OPERATIONS)
def test_malformed_list_queries_get_a_well_formed_4xx(
    emulator: Any, objects: dict[str, str], operation: str, query: dict[str, str]
) -> None:
    path = operation.split(" ", 1)[1].format(**objects)
    connection = Connection(emulator.base_url)
    try:
        status, answer = connection.send("GET", path, query=query)
    finally:
        connection.close()
    _well_formed_error(status, answer, f"{operation}?{urlencode(query)}")


@pytest.mark.parametrize(
    "path",
    [
        "/threads/thread_missing",
        "/assistants/asst_missing",
        "/threads/thread_missing/messages",
        "/no/such/endpoint",
    ],
)
def test_unknown_objects_and_routes_get_a_well_formed_404(emulator: Any, path: str) -> None:
    connection = Connection(emulator.base_url)
    try:
        status, answer = connection.send("GET", path)
    finally:
        connection.close()
    assert status == 404
    _well_formed_error(status, answer, path)
