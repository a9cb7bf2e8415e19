"""What a fault overlay's emulator must know of the recording beyond the objects its
responses showed: the messages a request created without any response showing them, the
input a response or conversation was given, and every id the recording used (so ids the
emulator mints never take one).

`threads.create(messages=[...])`, `threads.create_and_run(thread={"messages": [...]})`
and `runs.create(additional_messages=[...])` create messages whose ids only a later listing
shows, if any. `request_messages` gives each such message as the recording shows it anywhere
(the first of the thread's not yet claimed messages with the same role and text), or as the
request gave it: a `thread.message` without an id, which the emulator files under one it
mints.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from harness.api import deviations
from harness.api.constants import LEARNED_REQUEST
from harness.cassette.model import Cassette, Request, Response

Obj = dict[str, Any]


def recorded_objects(cassette: Cassette) -> Iterator[Obj]:
    """Every object the recording's responses show (bodies, list items, stream events)."""
    for interaction in cassette.interactions:
        yield from _objects(_shown(interaction.response))


def recorded_ids(cassette: Cassette) -> set[str]:
    return {obj["id"] for obj in recorded_objects(cassette) if isinstance(obj.get("id"), str)}


def _shown(response: Response) -> list[Any]:
    shown: list[Any] = [response.body] if isinstance(response.body, dict) else []
    shown += [event.get("data") for event in response.events or ()]
    return shown


def _objects(values: Iterable[Any]) -> Iterator[Obj]:
    for value in values:
        if not isinstance(value, dict):
            continue
        yield value
        if deviations.is_list(value):
            yield from _objects(value.get("data") or ())


class RecordedMessages:
    """The recording's messages by thread (each as last shown), to claim one at a time."""

    def __init__(self, cassette: Cassette) -> None:
        latest: dict[str, Obj] = {}
        for obj in recorded_objects(cassette):
            if deviations.kind(obj) == "thread.message" and isinstance(obj.get("id"), str):
                latest[obj["id"]] = {**latest.get(obj["id"], {}), **obj}
        self._by_thread: dict[str, list[Obj]] = {}
        for message in sorted(latest.values(), key=lambda m: _stamp(m.get("created_at"))):
            self._by_thread.setdefault(str(message.get("thread_id")), []).append(message)
        self._claimed: set[str] = set()

    def claim(self, thread_id: str, role: str, text: str) -> Obj | None:
        for message in self._by_thread.get(thread_id, ()):
            if message["id"] in self._claimed or message.get("run_id"):
                continue
            if message.get("role") == role and _text(message.get("content")) == text:
                self._claimed.add(message["id"])
                return message
        return None


def request_messages(
    name: str, request: Request, shown: Any, recorded: RecordedMessages
) -> list[Obj]:
    """The messages `request` (operation `name`, answered with `shown`) created that no
    response showed: as recorded elsewhere, or as requested."""
    body = request.body if isinstance(request.body, dict) else {}
    if not isinstance(shown, dict):
        return []
    if name == "create_thread":
        thread_id, given = shown.get("id"), body.get("messages")
    elif name == "create_thread_and_run":
        thread_id = shown.get("thread_id")
        given = (body.get("thread") or {}).get("messages")
    elif name == "create_run":
        thread_id, given = shown.get("thread_id"), body.get("additional_messages")
    else:
        return []
    found: list[Obj] = []
    for message in given if isinstance(given, list) else ():
        if not isinstance(message, dict) or not isinstance(thread_id, str):
            continue
        role, content = str(message.get("role")), message.get("content")
        known = recorded.claim(thread_id, role, _text(content))
        found.append(
            known
            if known is not None
            else {
                **message,
                "object": "thread.message",
                "thread_id": thread_id,
                "created_at": shown.get("created_at"),
            }
        )
    return found


_GIVES_INPUT = frozenset({"create_response", "create_conversation", "create_conversation_items"})


def request_input(
    name: str, params: dict[str, str] | Any, request: Request, response: Response
) -> list[Obj]:
    """What `request` (operation `name`) gave a response or conversation, as one object for
    the emulator to learn before the objects `response` shows: `{"object": LEARNED_REQUEST,
    "operation", "id" (the response or conversation), "body", "shown"}`."""
    if name not in _GIVES_INPUT or not 200 <= response.status < 300:
        return []
    shown: Any = response.body
    for event in response.events or ():
        data = event.get("data")
        if isinstance(data, dict) and isinstance(data.get("response"), dict):
            shown = data["response"]
            break
    if not isinstance(shown, dict):
        return []
    owner = (
        params.get("conversation_id") if name == "create_conversation_items" else shown.get("id")
    )
    body = request.body if isinstance(request.body, dict) else {}
    if not isinstance(owner, str):
        return []
    return [
        {"object": LEARNED_REQUEST, "operation": name, "id": owner, "body": body, "shown": shown}
    ]


def _text(content: Any) -> str:
    """The text of message content, as requested (a string or parts) or as shown."""
    if isinstance(content, str):
        return content
    texts = []
    for part in content if isinstance(content, list) else ():
        if isinstance(part, dict) and part.get("type") == "text":
            texts.append(deviations.text(part.get("text")))
    return "\n".join(texts)


def _stamp(value: Any) -> int:
    return value if isinstance(value, int) else 0
