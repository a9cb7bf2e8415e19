"""How a recorded server deviated from the API: the conformance report of live recordings.

Each answer of a known operation is checked against the shipped spec's schema
for it (`harness.api.schemas`), each streamed event against its object's
schema, and a few things no schema says: a stream asked for and answered with
plain JSON, timestamps in milliseconds. Deviations are grouped by kind (the
operation, where in the object, what was wrong), so a report names each kind
once with how often it was seen and where first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import api
from harness.api import deviations
from harness.api.constants import ALWAYS_SENT, REAL_API_NULLS, REAL_API_OMITTED
from harness.cassette.model import Cassette, Interaction

# Stream event names (Assistants) and the component their data must match.
_EVENT_SCHEMAS = (
    ("thread.run.step.delta", "RunStepDeltaObject"),
    ("thread.run.step.", "RunStepObject"),
    ("thread.run.", "RunObject"),
    ("thread.message.delta", "MessageDeltaObject"),
    ("thread.message.", "MessageObject"),
    ("thread.created", "ThreadObject"),
)


@dataclass(frozen=True)
class Deviation:
    kind: str
    """What was wrong, the same for every place it happened
    (`get_run answer: /usage: a required field is missing`)."""
    where: str
    """Which cassette and interaction (`x.yaml: #4 GET /threads/.../runs/...`)."""


def check(cassette: Cassette, source: str = "") -> list[Deviation]:
    """Every deviation of the server's answers in `cassette` from the API."""
    found: list[Deviation] = []
    for number, interaction in enumerate(cassette.interactions, 1):
        request = interaction.request
        where = f"{source}: #{number} {request.method} {request.path}"
        kinds = dict.fromkeys(_deviations(interaction))  # once per interaction, in order
        found += [Deviation(kind, where) for kind in kinds]
    return found


def summary(deviations: Iterable[Deviation]) -> list[str]:
    """One line per kind: how often, and the first place it was seen."""
    kinds: dict[str, list[str]] = {}
    for deviation in deviations:
        kinds.setdefault(deviation.kind, []).append(deviation.where)
    lines = []
    for kind, places in kinds.items():
        times = f" ({len(places)} times)" if len(places) > 1 else ""
        lines.append(f"{kind}{times}; first at {places[0]}")
    return lines


def check_files(paths: Iterable[Path]) -> list[Deviation]:
    from harness.cassette.storage import read_cassette

    found: list[Deviation] = []
    for path in paths:
        found += check(read_cassette(path), str(path))
    return found


def _deviations(interaction: Interaction) -> Iterator[str]:
    request, response = interaction.request, interaction.response
    found = api.match(request.method, request.path)
    if found is None or response.status >= 400:
        return
    name = found.name
    asked_stream = _asks_stream(request.body, request.query)
    if asked_stream and found.operation.streams and response.events is None:
        yield f"{name}: asked to stream, answered without server-sent events"
    if response.events is not None:
        for event in response.events:
            yield from _event_deviations(name, event)
    elif isinstance(response.body, (dict, list)):
        where = f"{name} answer"
        body = response.body
        if name.startswith("list_") and isinstance(body, dict) and body.get("object") != "list":
            yield f"{where}: a list labelled {body.get('object')!r} (the API says 'list')"
        validator = _validator(name)
        if validator is not None:
            yield from _schema_deviations(where, validator, body)
        yield from _always_sent(where, body, "")
        yield from _timestamps(where, body, "")


def _event_deviations(operation: str, event: dict[str, Any]) -> Iterator[str]:
    name, data = event.get("event"), event.get("data")
    if not isinstance(data, dict):
        return
    where = f"{operation} stream event {name}"
    component = _event_component(name, data)
    if component is not None:
        from harness.api.schemas import component_validator

        yield from _schema_deviations(where, component_validator(component), data)
    yield from _timestamps(where, data, "")


def _event_component(name: Any, data: dict[str, Any]) -> str | None:
    if isinstance(name, str):
        for prefix, component in _EVENT_SCHEMAS:
            if name == prefix or (prefix.endswith(".") and name.startswith(prefix)):
                return component
    if isinstance(data.get("type"), str) and str(data["type"]).startswith("response."):
        return "ResponseStreamEvent"
    return None


def _validator(operation: str) -> Any:
    from harness.api.schemas import operation_validator

    try:
        return operation_validator(operation, "response")
    except KeyError:
        return None


def _schema_deviations(where: str, validator: Any, body: Any) -> Iterator[str]:
    seen: set[str] = set()
    for error in validator.iter_errors(body):
        if _as_the_real_api_did(error, body):
            continue
        line = f"{where}: {_pointer(error.absolute_path)}: {_what(error)}"
        if line not in seen:
            seen.add(line)
            yield line


def _as_the_real_api_did(error: Any, body: Any) -> bool:
    """Whether the spec's complaint describes how the real API itself answered (lenient
    where the real API was: `REAL_API_OMITTED`, `REAL_API_NULLS`)."""
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        kind = str(error.instance.get("object"))
        return bool(missing) and missing[0] in REAL_API_OMITTED.get(kind, ())
    if error.validator in ("type", "anyOf", "oneOf") and error.instance is None:
        path = list(error.absolute_path)
        if not path:
            return False
        parent = body
        for part in path[:-1]:
            try:
                parent = parent[part]
            except (KeyError, IndexError, TypeError):
                return False
        kind = str(parent.get("object")) if isinstance(parent, dict) else ""
        return path[-1] in REAL_API_NULLS.get(kind, ())
    return False


def _pointer(path: Iterable[Any]) -> str:
    """A JSON pointer with list positions folded (`/data/[]/content`): one kind per field."""
    parts = ["[]" if isinstance(p, int) else str(p) for p in path]
    return "/" + "/".join(parts)


def _what(error: Any) -> str:
    keyword = error.validator
    if keyword == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        return f"required field {missing[0]!r} is missing" if missing else "a field is missing"
    if keyword == "type":
        return f"expected {error.validator_value}, got {_json_type(error.instance)}"
    if keyword in ("anyOf", "oneOf"):
        return f"matches none of the shapes the API allows here (got {_json_type(error.instance)})"
    if keyword in ("enum", "const"):
        return f"{error.instance!r} is not one of the API's values"
    return f"{keyword}: {error.message[:120]}"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _always_sent(where: str, value: Any, path: str) -> Iterator[str]:
    """Fields the real API always sent that the spec does not require."""
    if isinstance(value, dict):
        for field in ALWAYS_SENT.get(str(value.get("object")), ()):
            if field not in value:
                yield f"{where}: {path or '/'}: field {field!r} is missing (the real API sent it)"
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                yield from _always_sent(where, item, f"{path}/{key}")
    elif isinstance(value, list):
        for item in value:
            yield from _always_sent(where, item, f"{path}/[]")


def _timestamps(where: str, value: Any, path: str) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("_at") and deviations.in_milliseconds(item):
                yield f"{where}: {path}/{key}: a timestamp in milliseconds (the API uses seconds)"
            else:
                yield from _timestamps(where, item, f"{path}/{key}")
    elif isinstance(value, list):
        for item in value:
            yield from _timestamps(where, item, f"{path}/[]")


def _asks_stream(body: Any, query: tuple[tuple[str, str], ...]) -> bool:
    if isinstance(body, dict) and body.get("stream") is True:
        return True
    return any(name == "stream" and value == "true" for name, value in query)
