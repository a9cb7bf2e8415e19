"""Azure OpenAI's shape: `openai.AzureOpenAI` talks to the emulator under `/openai` with
`api-version` and an `api-key` header (or a bearer token); Azure's own errors read as Azure's."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

from harness.emulator.http.shapes import AZURE_ACCESS_DENIED, MISSING_KEY

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

API_VERSION = "2024-05-01-preview"
NOT_FOUND = {"error": {"code": "404", "message": "Resource not found"}}


@pytest.fixture
def azure(emulator: Any) -> Any:
    with openai.AzureOpenAI(
        azure_endpoint=emulator.url, api_key="azure-key", api_version=API_VERSION, max_retries=0
    ) as client:
        yield client


def test_an_azure_app_runs_a_conversation(azure: Any) -> None:
    raw = azure.beta.assistants.with_raw_response.create(
        model="gpt-4o", name="Math Tutor", instructions="Be brief."
    )
    request = raw.http_request
    assert request.url.path == "/openai/assistants"
    assert request.url.params["api-version"] == API_VERSION
    assert request.headers["api-key"] == "azure-key" and "authorization" not in request.headers
    assistant = raw.parse()
    thread = azure.beta.threads.create(messages=[{"role": "user", "content": "What is 2 + 2?"}])
    run = azure.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=5
    )
    assert run.status == "completed"
    reply = azure.beta.threads.messages.list(thread_id=thread.id).data[0]
    assert reply.role == "assistant" and "What is 2 + 2?" in reply.content[0].text.value
    names = []
    with azure.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        for event in stream:
            names.append(event.event)
    assert names[0] == "thread.run.created" and names[-1] == "thread.run.completed"


def test_files_and_vector_stores_under_azure(azure: Any) -> None:
    upload = azure.files.create(file=("notes.md", b"Otters hold hands."), purpose="assistants")
    store = azure.vector_stores.create(name="notes", file_ids=[upload.id])
    hits = azure.vector_stores.search(store.id, query="otters")
    assert [h.filename for h in hits.data] == ["notes.md"]
    assert azure.files.content(upload.id).read() == b"Otters hold hands."


def test_a_bearer_token_is_accepted(emulator: Any) -> None:
    with openai.AzureOpenAI(
        azure_endpoint=emulator.url,
        azure_ad_token="entra-token",
        api_version=API_VERSION,
        max_retries=0,
    ) as client:
        raw = client.beta.assistants.with_raw_response.list()
    assert raw.http_request.headers["authorization"] == "Bearer entra-token"
    assert json.loads(raw.text)["object"] == "list"


@pytest.mark.parametrize(
    ("path", "headers", "status", "body"),
    [
        ("/openai/assistants", {"api-key": "k"}, 404, NOT_FOUND),
        ("/openai/assistants?api-version=", {"api-key": "k"}, 404, NOT_FOUND),
        ("/openai/nowhere?api-version=" + API_VERSION, {"api-key": "k"}, 404, NOT_FOUND),
        (
            "/openai/assistants?api-version=" + API_VERSION,
            {},
            401,
            {"error": {"code": "401", "message": AZURE_ACCESS_DENIED}},
        ),
        (
            "/openai/assistants?api-version=" + API_VERSION,
            {"authorization": "Basic dXNlcjpwYXNz"},
            401,
            {"error": {"code": "401", "message": AZURE_ACCESS_DENIED}},
        ),
    ],
)
def test_azure_gateway_errors(
    emulator: Any, path: str, headers: dict[str, str], status: int, body: Any
) -> None:
    response = httpx.get(emulator.url + path, headers=headers)
    assert response.status_code == status and response.json() == body


def test_the_sdk_reads_azure_errors(emulator: Any, azure: Any) -> None:
    with (
        openai.AzureOpenAI(
            azure_endpoint=emulator.url, api_key="k", api_version="", max_retries=0
        ) as unversioned,
        pytest.raises(openai.NotFoundError) as gateway,
    ):
        unversioned.beta.assistants.list()
    assert gateway.value.body == NOT_FOUND["error"]
    with pytest.raises(openai.NotFoundError) as info:
        azure.beta.threads.retrieve("thread_missing")
    # past Azure's gateway, the API's own errors read as OpenAI's did
    assert info.value.body["message"] == "No thread found with id 'thread_missing'."


def test_the_openai_shape_still_wants_a_bearer_key(emulator: Any) -> None:
    response = httpx.get(
        emulator.base_url + "/assistants",
        headers={"api-key": "k", "openai-beta": "assistants=v2"},
    )
    assert response.status_code == 401
    assert response.json()["error"]["message"] == MISSING_KEY
    beta_free = httpx.get(
        emulator.url + "/openai/assistants?api-version=" + API_VERSION, headers={"api-key": "k"}
    )
    assert beta_free.status_code == 200, "Azure did not insist on the OpenAI-Beta header"
