"""Redaction: secrets are removed before an interaction is kept in memory.

Headers are already cut down to an allowlist by `wire`; this module scrubs
what is left: every string in queries, bodies and SSE events is searched for
the secrets the recorder knows (the API key, organization and project in
use) and for patterns that look like credentials. Users add patterns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from harness.cassette.model import Interaction, Request, Response

REDACTED = "<redacted>"

DEFAULT_PATTERNS: tuple[str, ...] = (
    r"sk-[A-Za-z0-9_\-]{8,}",  # OpenAI keys: sk-..., sk-proj-..., sk-svcacct-...
    r"(?i:bearer)\s+[A-Za-z0-9_\-.=]{8,}",
    r"\bsess-[A-Za-z0-9]{16,}",
    r"\borg-[A-Za-z0-9]{16,}",
    r"\bproj_[A-Za-z0-9]{16,}",
    r"\beyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}",  # JWTs
)
SECRET_QUERY_NAMES = frozenset({"api-key", "api_key", "apikey", "key", "token", "access_token"})


@dataclass(frozen=True)
class Redactor:
    """Replaces known secret values and secret-looking text with `REDACTED`."""

    secrets: tuple[str, ...] = ()
    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        known = [re.escape(s) for s in sorted(set(self.secrets), key=len, reverse=True) if len(s) >= 4]
        alternatives = known + [f"(?:{p})" for p in self.patterns]
        regex = re.compile("|".join(alternatives)) if alternatives else re.compile(r"(?!x)x")
        object.__setattr__(self, "_regex", regex)

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
        return replace(
            request,
            path=self.text(request.path),
            query=query,
            headers=self.data(request.headers),
            body=self.data(request.body),
            multipart=self.data(request.multipart),
            text=self.data(request.text),
        )

    def response(self, response: Response) -> Response:
        return replace(
            response,
            headers=self.data(response.headers),
            body=self.data(response.body),
            events=self.data(response.events),
            text=self.data(response.text),
        )

    def interaction(self, interaction: Interaction) -> Interaction:
        return replace(
            interaction,
            request=self.request(interaction.request),
            response=self.response(interaction.response),
        )

    def find(self, text: str) -> Iterable[re.Match[str]]:
        """Every secret-looking match in `text` (for `harness verify`)."""
        return self._regex.finditer(text)
