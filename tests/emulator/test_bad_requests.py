"""Malformed requests answer 400 in the API's error shape, never 500: multipart bodies (fuzzed
with Hypothesis), uploaded file names, query parameters and odd JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BEARER = {"Authorization": "Bearer sk-test"}
HEADERS = {**BEARER, "OpenAI-Beta": "assistants=v2"}


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One client for the module's requests (a client per request costs more than the request)."""
    with httpx.Client(timeout=30) as client:
        yield client


def api_error(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    return error  # type: ignore[no-any-return]


def part(name: str, value: bytes, filename: bytes | None = None, boundary: bytes = b"b") -> bytes:
    disposition = b'form-data; name="' + name.encode() + b'"'
    if filename is not None:
        disposition += b'; filename="' + filename + b'"'
    return (
        b"--"
        + boundary
        + b"\r\nContent-Disposition: "
        + disposition
        + b"\r\n\r\n"
        + value
        + b"\r\n"
    )


GOOD = part("purpose", b"assistants") + part("file", b"hi", b"a.txt") + b"--b--\r\n"
MALFORMED = {
    "no boundary": ("multipart/form-data", GOOD),
    "empty boundary": ("multipart/form-data; boundary=", GOOD),
    "another boundary": ("multipart/form-data; boundary=zz", GOOD),
    "garbage": ("multipart/form-data; boundary=b", b"\x00\xff\xfe garbage \r\n\r\n"),
    "truncated part": ("multipart/form-data; boundary=b", GOOD[: GOOD.index(b"hi") + 1]),
    "no file field": ("multipart/form-data; boundary=b", part("purpose", b"assistants") + b"--b--"),
    "no disposition": ("multipart/form-data; boundary=b", b"--b\r\n\r\nhi\r\n--b--\r\n"),
    "no name": (
        "multipart/form-data; boundary=b",
        b'--b\r\nContent-Disposition: form-data; filename="a"\r\n\r\nhi\r\n--b--\r\n',
    ),
    "two files": (
        "multipart/form-data; boundary=b",
        part("file", b"1", b"a") + part("file", b"2", b"b") + b"--b--\r\n",
    ),
    "empty": ("multipart/form-data; boundary=b", b""),
    "not multipart": ("text/plain", GOOD),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_upload_is_a_400(http: httpx.Client, emulator: Any, case: str) -> None:
    content_type, body = MALFORMED[case]
    response = http.post(
        emulator.base_url + "/files", content=body, headers={**BEARER, "Content-Type": content_type}
    )
    api_error(response)


@pytest.mark.parametrize(
    "filename",
    [b"a\x00b.txt", b"tab\there.txt", b"bell\x07.txt", b"del\x7f.txt", b"x" * 10_000],
    ids=["NUL", "tab", "bell", "DEL", "10,000 characters"],
)
def test_a_filename_no_file_system_takes_is_a_400_naming_the_field(
    http: httpx.Client, emulator: Any, filename: bytes
) -> None:
    body = part("purpose", b"assistants") + part("file", b"hi", filename) + b"--b--\r\n"
    response = http.post(
        emulator.base_url + "/files",
        content=body,
        headers={**BEARER, "Content-Type": "multipart/form-data; boundary=b"},
    )
    error = api_error(response)
    assert error["param"] == "file" and "file" in error["message"], error


@pytest.mark.parametrize(
    "filename", ["../x.csv", "/etc/x.csv", "dir/../../x.csv", "..", "résumé.csv"]
)
def test_a_path_as_filename_is_kept_and_code_runs_with_the_file(
    client: Any, emulator: Any, filename: str
) -> None:
    uploaded = client.files.create(file=(filename, b"a,b\n1,2\n"), purpose="assistants")
    assert uploaded.filename == filename
    emulator.set_brain(
        [
            {
                "actions": [
                    {"code": "import os\nprint(sorted(os.listdir('.')))"},
                    {"say": "{{logs}}"},
                ]
            }
        ]
    )
    assistant = client.beta.assistants.create(
        model="gpt-4o",
        tools=[{"type": "code_interpreter"}],
        tool_resources={"code_interpreter": {"file_ids": [uploaded.id]}},
    )
    run = client.beta.threads.create_and_run_poll(assistant_id=assistant.id, poll_interval_ms=5)
    assert run.status == "completed", run.last_error
    said = client.beta.threads.messages.list(thread_id=run.thread_id).data[0]
    listed = said.content[0].text.value
    expected = filename.rsplit("/", 1)[-1]
    assert (f"'{expected}'" in listed) if expected != ".." else listed.strip() == "[]"


# --- the class: whatever the multipart body, never a 5xx ---------------------------------

_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"))
_HEADER_LINES = st.lists(
    st.one_of(
        st.builds(
            lambda name, filename: (
                b'Content-Disposition: form-data; name="'
                + name.encode()
                + b'"'
                + (b"" if filename is None else b'; filename="' + filename.encode() + b'"')
            ),
            st.sampled_from(["file", "purpose", "expires_after[anchor]", "x"])
            | st.text(max_size=8),
            st.none() | st.text(max_size=12),
        ),
        st.sampled_from(
            [b"Content-Type: text/plain", b"Content-Disposition: attachment", b"X: y", b":", b""]
        ),
        st.binary(max_size=30),
    ),
    max_size=3,
)
_PART = st.tuples(_HEADER_LINES, st.binary(max_size=64) | st.sampled_from([b"assistants", b"--"]))


@st.composite
def multipart(draw: st.DrawFn) -> tuple[bytes, bytes]:
    boundary = draw(
        st.sampled_from([b"b", b"", b"--", b"x y"])
        | _TEXT.filter(lambda t: 0 < len(t) <= 8).map(lambda t: t.encode("latin-1"))
    )
    parts = draw(st.lists(_PART, max_size=4))
    body = b"".join(
        b"--" + boundary + b"\r\n" + b"\r\n".join(lines) + b"\r\n\r\n" + value + b"\r\n"
        for lines, value in parts
    )
    if draw(st.booleans()):
        body += b"--" + boundary + b"--\r\n"
    body = body[: draw(st.integers(0, len(body)))] if draw(st.booleans()) else body
    body = draw(st.binary(max_size=200)) if draw(st.integers(0, 9)) == 0 else body
    declared = draw(
        st.sampled_from([b"multipart/form-data; boundary=" + boundary, b"multipart/form-data"])
        | _TEXT.map(lambda t: b"multipart/form-data; " + t.encode("latin-1"))
    )
    return declared.strip(), body


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(request=multipart())
def test_no_multipart_body_gets_a_5xx(
    emulator: Any, http: httpx.Client, request: tuple[bytes, bytes]
) -> None:
    content_type, body = request
    response = http.post(
        emulator.base_url + "/files", content=body, headers={**BEARER, "Content-Type": content_type}
    )
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        api_error(response, response.status_code)


# --- query parameters and JSON bodies -----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/assistants?limit=1000000000", "limit"),
        ("/files?limit=" + "9" * 5000, "limit"),
        ("/assistants?limit=-1", "limit"),
        ("/assistants?after=" + "x" * 5000, "after"),
        ("/threads/thread_x/messages?before=" + "y" * 5000, "before"),
        ("/vector_stores?order=" + "z" * 5000, "order"),
        ("/files?purpose=" + "p" * 5000, "purpose"),
    ],
    ids=["limit 10**9", "limit 5000 digits", "limit -1", "after", "before", "order", "purpose"],
)
def test_an_unbounded_query_parameter_is_a_400_naming_it(
    http: httpx.Client, emulator: Any, path: str, param: str
) -> None:
    response = http.get(emulator.base_url + path, headers=HEADERS)
    error = api_error(response)
    assert error["param"] == param and len(error["message"]) < 500


@pytest.mark.parametrize(
    "body",
    [
        b'{"metadata": {"a": NaN}}',
        b'{"metadata": {"a": Infinity}}',
        b'{"metadata": {"a": -Infinity}}',
        b'{"metadata": {"a": 1e400}}',
        b"[" * 100_000,
        b'{"a":' * 100_000,
        b'{"metadata": ' + b'{"a": ' * 150 + b"1" + b"}" * 151,
        b'{"metadata": {"a": "\\ud800"}}',
        b"\xff\xfe",
        b'"just a string"',
    ],
    ids=[
        "NaN",
        "Infinity",
        "-Infinity",
        "1e400",
        "deep array",
        "deep object",
        "deep valid",
        "lone surrogate",
        "not UTF-8",
        "not an object",
    ],
)
def test_an_odd_json_body_is_a_400(http: httpx.Client, emulator: Any, body: bytes) -> None:
    response = http.post(
        emulator.base_url + "/threads",
        content=body,
        headers={**HEADERS, "Content-Type": "application/json"},
    )
    api_error(response)
    json.dumps(response.json())


_ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["gpt-4o", "user", "assistant", "auto", "file_search", "code_interpreter"]),
)
_VALUES = st.recursive(
    _ODD,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = st.sampled_from(
    [
        "model",
        "name",
        "metadata",
        "tools",
        "messages",
        "input",
        "instructions",
        "temperature",
        "top_p",
        "max_output_tokens",
        "expires_after",
        "chunking_strategy",
        "file_ids",
        "items",
        "tool_resources",
        "response_format",
        "truncation",
        "include",
        "text",
        "reasoning",
    ]
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(
        ["/threads", "/assistants", "/vector_stores", "/responses", "/conversations", "/containers"]
    ),
    body=st.dictionaries(_FIELDS, _VALUES, max_size=4),
)
def test_no_json_body_gets_a_5xx(
    emulator: Any, http: httpx.Client, path: str, body: dict[str, Any]
) -> None:
    response = http.post(emulator.base_url + path, json=body, headers=HEADERS)
    assert response.status_code < 500, (body, response.text)
    if response.status_code >= 400:
        api_error(response, response.status_code)
