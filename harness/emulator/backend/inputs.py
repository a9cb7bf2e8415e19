"""The parsed parts of a request that the HTTP layer hands to the backend."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Page:
    """A list request's cursor and size: `limit`, `order`, `after`, `before`."""

    limit: int = 20
    order: str = "desc"
    after: str | None = None
    before: str | None = None


@dataclass(frozen=True)
class Upload:
    """A multipart file upload: the file, and the other form fields as text."""

    filename: str
    content: bytes
    fields: dict[str, str] = field(default_factory=dict)
