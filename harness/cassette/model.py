"""Value objects of a cassette: requests, responses, interactions.

Bodies are kept as parsed data (JSON values, SSE event lists, multipart part
summaries), never as escaped strings, so the file reads and diffs like the
conversation it records.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, overload

FORMAT_VERSION = 1

JSON = Any  # a value json.loads can return

# A cassette holds thousands of requests and responses, each built at load: filling a frozen
# dataclass's fields at once costs a quarter of calling its __init__ (one setattr per field).
_new = object.__new__


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    """Path relative to the API base URL, e.g. `/threads/thread_1/runs`."""
    query: tuple[tuple[str, str], ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    body: JSON = None
    """Parsed JSON body, or None."""
    multipart: tuple[dict[str, Any], ...] | None = None
    """Multipart parts: name, filename, content_type, and text or sha256+size."""
    text: str | None = None
    """A body that is neither JSON nor multipart."""

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"method": self.method, "path": self.path}
        if self.query:
            data["query"] = [list(pair) for pair in self.query]
        if self.headers:
            data["headers"] = dict(sorted(self.headers.items()))
        if self.body is not None:
            data["body"] = self.body
        if self.multipart is not None:
            data["multipart"] = list(self.multipart)
        if self.text is not None:
            data["text"] = self.text
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Request:
        """From a checked document (`harness.cassette.validation`), whose values it takes."""
        query = data.get("query")
        multipart = data.get("multipart")
        request = _new(cls)  # what the dataclass's __init__ does, field by field, in one go
        request.__dict__.update(
            method=data["method"],
            path=data["path"],
            query=tuple(map(tuple, query)) if query else (),
            headers=data.get("headers") or {},
            body=data.get("body"),
            multipart=tuple(multipart) if multipart is not None else None,
            text=data.get("text"),
        )
        return request


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: JSON = None
    """Parsed JSON body, or None."""
    events: tuple[dict[str, Any], ...] | None = None
    """Server-sent events, each `{"event": name, "data": parsed JSON or text}`."""
    text: str | None = None
    base64: str | None = None

    @property
    def is_stream(self) -> bool:
        return self.events is not None

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status}
        if self.headers:
            data["headers"] = dict(sorted(self.headers.items()))
        if self.body is not None:
            data["body"] = self.body
        if self.events is not None:
            data["events"] = list(self.events)
        if self.text is not None:
            data["text"] = self.text
        if self.base64 is not None:
            data["base64"] = self.base64
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Response:
        """From a checked document (`harness.cassette.validation`), whose values it takes."""
        events = data.get("events")
        response = _new(cls)  # as `Request.from_data`
        response.__dict__.update(
            status=data["status"],
            headers=data.get("headers") or {},
            body=data.get("body"),
            events=tuple(events) if events is not None else None,
            text=data.get("text"),
            base64=data.get("base64"),
        )
        return response


class Later(Protocol):
    """A recorded response not read yet: reads it (checked field by field) when called."""

    def __call__(self) -> Response: ...


class _ReadOnFirstUse:
    """The `response` of an `Interaction`: a `Response`, or a `Later` that is read the first
    time the field is (replay loads a cassette's responses only as it serves them)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = "_" + name

    @overload
    def __get__(self, instance: None, owner: type) -> _ReadOnFirstUse: ...
    @overload
    def __get__(self, instance: object, owner: type) -> Response: ...
    def __get__(self, instance: object | None, owner: type) -> Any:
        if instance is None:
            raise AttributeError("no default")  # the dataclass field stays required
        value = instance.__dict__[self._slot]
        if not isinstance(value, Response):
            value = instance.__dict__[self._slot] = value()
        return value

    def __set__(self, instance: object, value: Response | Later) -> None:
        instance.__dict__[self._slot] = value


@dataclass(frozen=True)
class Interaction:
    request: Request
    response: _ReadOnFirstUse = _ReadOnFirstUse()
    repeat: int = 1
    """How many times this exact exchange happened in a row (polling)."""


@dataclass
class Cassette:
    """A whole cassette: a header and the interactions in recorded order."""

    meta: dict[str, Any] = field(default_factory=dict)
    interactions: list[Interaction] = field(default_factory=list)
    format: int = FORMAT_VERSION

    def exchanges(self) -> Iterator[tuple[Request, Response]]:
        """Every exchange in order, with repeats expanded."""
        for interaction in self.interactions:
            for _ in range(interaction.repeat):
                yield interaction.request, interaction.response

    def __len__(self) -> int:
        return sum(i.repeat for i in self.interactions)
