"""Where an app's requests would have gone without the harness, and carrying one there.

Inside a marked test the SDK's environment points at the cassette (or the
emulator), so a client built there sends all its traffic to the harness. Only
the recorded APIs belong there: a chat completion or an embedding on the same
client must reach the server the app would have used, with the key it had,
unrecorded. `Upstream` remembers that server from the environment as it was
before the test, and `forward` sends a request to it on the standard library's
HTTP client (which the harness's transport patches do not touch).
"""

from __future__ import annotations

import http.client
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit, urlunsplit

from harness.api.constants import OPENAI_BASE_URL

DEFAULT_BASE_URL = OPENAI_BASE_URL
"""The SDK's base URL when the environment names none."""
AZURE_HOST_SUFFIXES = (
    ".openai.azure.com",
    ".cognitiveservices.azure.com",
    ".services.ai.azure.com",
)
"""Hosts of Azure OpenAI resources (`AzureOpenAI(azure_endpoint=...)`)."""
# Headers the forwarded request gets afresh: the credentials of the upstream, and what the
# HTTP client computes for the new URL and body.
_REPLACED = frozenset({"authorization", "api-key", "host", "content-length", "connection"})
_TIMEOUT = 600.0


@dataclass(frozen=True)
class Upstream:
    """The server an app would have used: the environment's `OPENAI_BASE_URL` (or the SDK's
    default) and `OPENAI_API_KEY` before the harness pointed them at the cassette."""

    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = None
    azure_endpoint: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Upstream:
        return cls(
            base_url=environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL,
            api_key=environ.get("OPENAI_API_KEY") or None,
            azure_endpoint=environ.get("AZURE_OPENAI_ENDPOINT") or None,
        )

    def urls(self) -> tuple[str, ...]:
        """Every URL whose origin the app's clients may have been built with."""
        found = [DEFAULT_BASE_URL, self.base_url]
        if self.azure_endpoint:
            found.append(self.azure_endpoint)
        return tuple(found)

    def rebase(self, url: str, harness_base: str) -> str:
        """`url`, which the app sent under `harness_base`, under this upstream's base."""
        sent, ours, theirs = urlsplit(url), urlsplit(harness_base), urlsplit(self.base_url)
        path = sent.path
        base = ours.path.rstrip("/")
        if base and (path == base or path.startswith(base + "/")):
            path = path[len(base) :]
        return urlunsplit(
            (theirs.scheme, theirs.netloc, theirs.path.rstrip("/") + path, sent.query, "")
        )


def is_azure_host(host: str) -> bool:
    return host.endswith(AZURE_HOST_SUFFIXES)


def forward(
    upstream: Upstream,
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    context: ssl.SSLContext | None = None,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Send the request to `url` (already rebased) with the upstream's key; the answer as
    (status, headers, body). An unreachable upstream answers 502 with the reason, as a
    proxy would, so the app's own error handling sees it."""
    sent = {name: value for name, value in headers if name.lower() not in _REPLACED}
    if upstream.api_key:
        sent["Authorization"] = f"Bearer {upstream.api_key}"
    request = urllib.request.Request(url, data=body or None, headers=sent, method=method)
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context or ssl.create_default_context()),
        _NoRedirect(),
    )
    try:
        with opener.open(request, timeout=_TIMEOUT) as answer:
            return answer.status, _headers(answer.headers), answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, _headers(exc.headers), exc.read()
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        message = f"the harness could not reach {urlsplit(url).netloc}: {reason}"
        error = {"error": {"message": message, "type": "upstream_error"}}
        return 502, [("content-type", "application/json")], json.dumps(error).encode()


def _headers(message: Message) -> list[tuple[str, str]]:
    # The body is handed over as the server sent it, so its content encoding stays; its
    # framing was undone by the HTTP client.
    return [
        (name.lower(), value)
        for name, value in message.items()
        if name.lower() not in ("transfer-encoding", "connection")
    ]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects go back to the app's client, as they would without the harness."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None
