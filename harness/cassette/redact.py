"""Redaction: secrets are removed before an interaction is kept in memory.

Headers are already cut down to an allowlist by `wire`, which keeps the
credential headers only so that this module can learn their values: the
values sent (API key, Azure `api-key`, cookies, organization, project, secret
query parameters) and received (`Set-Cookie`, organization, project) are
removed wherever a server echoes them, and the headers themselves are
dropped. Every string in queries, bodies and SSE events is also searched for
the secrets the recorder knows and for patterns that look like credentials;
JSON values under secret-looking keys (`api_key`, `cookie`, ...) are
replaced whole. Users add patterns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from harness.cassette.model import Interaction, Request, Response

REDACTED = "<redacted>"

DEFAULT_PATTERNS: tuple[str, ...] = (
    r"\bsk-[A-Za-z0-9_\-]{8,}",  # OpenAI keys: sk-..., sk-proj-..., sk-svcacct-...
    r"(?i:bearer)\s+[A-Za-z0-9_\-.=]{8,}",
    r"\bsess-[A-Za-z0-9]{16,}",
    r"\borg-[A-Za-z0-9]{16,}",
    r"\bproj_[A-Za-z0-9]{16,}",
    r"\beyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}",  # JWTs
)
SECRET_QUERY_NAMES = frozenset({"api-key", "api_key", "apikey", "key", "token", "access_token"})
SECRET_REQUEST_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "api-key",
        "x-api-key",
        "ocp-apim-subscription-key",
        "cookie",
        "openai-organization",
        "openai-project",
    }
)
SECRET_RESPONSE_HEADERS = frozenset({"set-cookie", "openai-organization", "openai-project"})
# Response JSON keys whose string values are credentials, compared after
# lower-casing and `-` -> `_`; matched as a suffix (`x_echo_set_cookie`).
SECRET_KEY_SUFFIXES = (
    "authorization",
    "api_key",
    "apikey",
    "cookie",
    "password",
    "secret",
    "access_token",
    "refresh_token",
    "session_token",
    "subscription_key",
)
_LEARNED_MIN = 6  # shorter learned values would redact ordinary words


@dataclass(frozen=True)
class Redactor:
    """Replaces known secret values and secret-looking text with `REDACTED`."""

    secrets: tuple[str, ...] = ()
    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _learned: dict[frozenset[str], Redactor] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        known = [
            re.escape(s) for s in sorted(set(self.secrets), key=len, reverse=True) if len(s) >= 4
        ]
        alternatives = known + [f"(?:{p})" for p in self.patterns]
        regex = re.compile("|".join(alternatives)) if alternatives else re.compile(r"(?!x)x")
        object.__setattr__(self, "_regex", regex)
        object.__setattr__(self, "_learned", {})

    @classmethod
    def build(cls, secrets: Iterable[str | None], extra_patterns: Iterable[str] = ()) -> Redactor:
        return cls(
            secrets=tuple(s for s in secrets if s),
            patterns=DEFAULT_PATTERNS + tuple(extra_patterns),
        )

    def text(self, value: str) -> str:
        return self._regex.sub(REDACTED, value)

    def data(self, value: Any) -> Any:
        """A copy of a JSON value with every string (and key) scrubbed."""
        if isinstance(value, str):
            return self._regex.sub(REDACTED, value)
        if isinstance(value, dict):
            return {self.data(k): self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.data(v) for v in value)
        return value

    def request(self, request: Request) -> Request:
        query = tuple(
            (self.text(k), REDACTED if k.lower() in SECRET_QUERY_NAMES else self.text(v))
            for k, v in request.query
        )
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in SECRET_REQUEST_HEADERS
        }
        return replace(
            request,
            path=self.text(request.path),
            query=query,
            headers=self.data(headers),
            body=self.data(_mask_secret_keys(request.body)),
            multipart=self.data(request.multipart),
            text=self.data(request.text),
        )

    def response(self, response: Response) -> Response:
        headers = {
            k: v for k, v in response.headers.items() if k.lower() not in SECRET_RESPONSE_HEADERS
        }
        return replace(
            response,
            headers=self.data(headers),
            body=self.data(_mask_secret_keys(response.body)),
            events=self.data(_mask_secret_keys(response.events)),
            text=self.data(response.text),
        )

    def interaction(self, interaction: Interaction) -> Interaction:
        """Redact an exchange, first learning the credentials it carries."""
        redactor = self.learning(credentials(interaction.request, interaction.response))
        return replace(
            interaction,
            request=redactor.request(interaction.request),
            response=redactor.response(interaction.response),
        )

    def learning(self, values: Iterable[str]) -> Redactor:
        """This redactor plus known secret `values` (cached: one per key set)."""
        new = frozenset(values) - set(self.secrets)
        if not new:
            return self
        found = self._learned.get(new)
        if found is None:
            found = Redactor(secrets=(*self.secrets, *new), patterns=self.patterns)
            self._learned[new] = found
        return found

    def find(self, text: str) -> Iterable[re.Match[str]]:
        """Every secret-looking match in `text` (for `harness verify`)."""
        return self._regex.finditer(text)


def credentials(request: Request, response: Response | None = None) -> set[str]:
    """The secret values an exchange carries in headers and query parameters."""
    found: set[str] = set()
    for name, value in request.headers.items():
        name = name.lower()
        if name not in SECRET_REQUEST_HEADERS or not value:
            continue
        found.add(value)
        if name in ("authorization", "proxy-authorization"):
            found.add(value.partition(" ")[2].strip())
        elif name == "cookie":
            found.update(_cookie_values(value.split(";")))
    found.update(v for k, v in request.query if k.lower() in SECRET_QUERY_NAMES)
    if response is not None:
        for name, value in response.headers.items():
            name = name.lower()
            if name == "set-cookie":
                # Several cookies arrive joined by ", "; each starts `name=value;`.
                found.update(_cookie_values(re.split(r",\s*(?=[^;=,\s]+=)", value), first=True))
            elif name in SECRET_RESPONSE_HEADERS and value:
                found.add(value)
    return {v for v in found if len(v) >= _LEARNED_MIN}


def _cookie_values(cookies: Iterable[str], first: bool = False) -> set[str]:
    values: set[str] = set()
    for cookie in cookies:
        pair = cookie.split(";", 1)[0] if first else cookie
        _, _, value = pair.strip().partition("=")
        values.update((pair.strip(), value.strip().strip('"')))
    return values


def _mask_secret_keys(value: Any) -> Any:
    """A copy of a JSON value whose strings under secret-looking keys are redacted."""
    if isinstance(value, dict):
        return {
            k: REDACTED if isinstance(v, str) and v and _secret_key(k) else _mask_secret_keys(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(_mask_secret_keys(v) for v in value)
    return value


def _secret_key(key: Any) -> bool:
    return isinstance(key, str) and key.lower().replace("-", "_").endswith(SECRET_KEY_SUFFIXES)
