"""The two URL shapes the emulator serves the API under, and what each requires of a request.

OpenAI's shape is `/v1/...` with `Authorization: Bearer KEY` and, on
assistants and threads, `OpenAI-Beta: assistants=v2`. Azure OpenAI's is
`/openai/...?api-version=...` with an `api-key` header or a bearer (Entra ID)
token; its own errors (a missing `api-version`, a missing key, an unknown path)
have Azure's body, `{"error": {"code": "404", "message": "Resource not found"}}`,
while the API's errors past that point read as OpenAI's, as Azure's did.
"""

from __future__ import annotations

from typing import Any, Protocol

from starlette.requests import Request

from harness.api.constants import API_PATH, AZURE_PATH, AZURE_V1_PATH
from harness.emulator.errors import ApiError, invalid_url

MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
    "username) if you're accessing the API from your browser and are prompted for a username. You "
    "can obtain an API key from https://platform.openai.com/account/api-keys."
)
# Azure's wording, as its clients quote it (e.g. microsoft/semantic-kernel#10337 for the 401,
# MicrosoftDocs/azure-docs#114602 and ThinkInAIXYZ/deepchat#262 for the 404 without api-version).
AZURE_NOT_FOUND = "Resource not found"
AZURE_ACCESS_DENIED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a "
    "valid key for an active subscription and use a correct regional API endpoint for your "
    "resource."
)


class AzureError(ApiError):
    """An error Azure's gateway answers itself: `{"error": {"code", "message"}}`, the code
    being the HTTP status as a string."""

    def body(self) -> dict[str, Any]:
        return {"error": {"code": str(self.status), "message": self.message}}


class ApiShape(Protocol):
    base: str
    """The path every operation's path follows (`/v1`)."""
    requires_beta: bool
    """Whether assistants and threads operations need `OpenAI-Beta: assistants=v2`."""

    def admit(self, request: Request) -> None:
        """Raise the host's `ApiError` when the request lacks what the host requires."""

    def unknown_url(self, method: str, path: str) -> ApiError: ...


def _bearer(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


class OpenAIShape:
    base = API_PATH
    requires_beta = True

    def admit(self, request: Request) -> None:
        if not _bearer(request):
            raise ApiError(401, MISSING_KEY)

    def unknown_url(self, method: str, path: str) -> ApiError:
        return invalid_url(method, path)


class AzureShape:
    base = AZURE_PATH
    # Azure's gateway did not insist on the beta header (the SDK sends it anyway).
    requires_beta = False

    def admit(self, request: Request) -> None:
        if not request.query_params.get("api-version"):
            raise AzureError(404, AZURE_NOT_FOUND)
        if not request.headers.get("api-key", "").strip() and not _bearer(request):
            raise AzureError(401, AZURE_ACCESS_DENIED)

    def unknown_url(self, method: str, path: str) -> ApiError:
        return AzureError(404, AZURE_NOT_FOUND)


class AzureV1Shape(AzureShape):
    """Azure OpenAI's v1 API (`/openai/v1/responses`): the key as with the dated API, but no
    `api-version` needed."""

    base = AZURE_V1_PATH

    def admit(self, request: Request) -> None:
        if not request.headers.get("api-key", "").strip() and not _bearer(request):
            raise AzureError(401, AZURE_ACCESS_DENIED)


SHAPES: tuple[ApiShape, ...] = (OpenAIShape(), AzureV1Shape(), AzureShape())


def shape_for(path: str) -> ApiShape | None:
    """The shape whose base `path` is under, or None."""
    for shape in SHAPES:
        if path == shape.base or path.startswith(shape.base + "/"):
            return shape
    return None
