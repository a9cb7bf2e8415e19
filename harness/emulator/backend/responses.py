"""Responses: create (synchronous, streamed, in the background), retrieve (also as a resumed
stream), cancel, delete, input items, input token counts, compaction.

A response's history is what came before its input: the previous response's
history, input and output (`previous_response_id`, whose `instructions` do not
carry over), or its conversation's items (`conversation`, to which its input
and output are appended). `store: false` keeps it out of the store. A
background response answers `queued`; each retrieve moves it one step on the
lifecycle (`in_progress`, then its end), so polling clients see what they would
of the real API, and a cancel before its end leaves it `cancelled`.

A streamed response is carried out in the background while its stream is
open: each event goes to the client as it is written (`response.created`
first, a model brain's text deltas as the model sends them).
"""

from __future__ import annotations

import asyncio
import logging

from harness.api.constants import ACTIVE_RESPONSE_STATUSES
from harness.emulator.backend import response_objects as ro
from harness.emulator.backend.inputs import Page
from harness.emulator.backend.recorded_responses import data_brain
from harness.emulator.backend.state import BackendState, Result, paginated
from harness.emulator.backend.store import (
    ContainerRecord,
    ConversationRecord,
    Obj,
    ResponseRecord,
    StreamItem,
)
from harness.emulator.engine.responder import Responder
from harness.emulator.engine.response_events import EventLog
from harness.emulator.engine.runs import tokens
from harness.emulator.errors import ApiError, bad_request
from harness.emulator.http.sse import EventStream

logger = logging.getLogger(__name__)
DEFAULT_MODEL = "gpt-4o"
UNSUPPORTED_TOOL = (
    "The emulator cannot perform the '{tool}' tool: no brain rule scripts it. Tools it performs: "
    "function, file_search and code_interpreter."
)


class ResponseOperations(BackendState):
    # responses ------------------------------------------------------------

    async def create_response(self, body: Obj) -> Result:
        rec = self._new_response(body)
        log = EventLog(rec, self.options.stream_chunk_chars)
        log.response("response.created")
        if rec.obj["background"]:
            log.response("response.queued")
            if not body.get("stream"):
                return log.snapshot()
        if body.get("stream"):
            return self._stream(rec, -1)
        await self._play(rec)
        return log.snapshot()

    async def get_response(
        self,
        response_id: str,
        stream: str | None = None,
        starting_after: str | None = None,
        include: list[str] | None = None,
    ) -> Result:
        rec = self._response(response_id)
        log = EventLog(rec, self.options.stream_chunk_chars)
        if stream in ("true", "True", "1"):
            if not rec.obj["background"]:
                raise bad_request(
                    "This response cannot be streamed because it was not created with "
                    "background=true.",
                    param="stream",
                )
            return self._stream(rec, _int(starting_after, "starting_after"))
        if rec.status == "queued":
            rec.obj["status"] = "in_progress"
            log.response("response.in_progress")
        elif rec.status == "in_progress":
            await self._play(rec)
        return log.snapshot(frozenset(include or ()))

    def cancel_response(self, response_id: str) -> Obj:
        rec = self._response(response_id)
        if not rec.obj["background"]:
            raise bad_request("Only responses created with background=true can be cancelled.")
        if rec.status not in ACTIVE_RESPONSE_STATUSES:
            raise bad_request(f"Cannot cancel a response with status '{rec.status}'.")
        # The real API sends no stream event for a cancel (the spec has none).
        rec.played = True
        rec.obj["status"] = "cancelled"
        return EventLog(rec, self.options.stream_chunk_chars).snapshot()

    def delete_response(self, response_id: str) -> Obj:
        rec = self._response(response_id)
        del self.store.responses[rec.obj["id"]]
        return {"id": rec.obj["id"], "object": "response", "deleted": True}

    def list_input_items(self, response_id: str, page: Page) -> Obj:
        rec = self._response(response_id)
        return paginated(rec.input, page, lambda item: ro.shown(item, rec.include))

    def count_input_tokens(self, body: Obj) -> Obj:
        history = self._history(body)
        items = history + ro.input_items(self.clock, body.get("input"))
        count = tokens(body.get("instructions") or "") + sum(
            tokens(ro.item_text(i) or str(i.get("output") or i.get("arguments") or ""))
            for i in items
        )
        return {"object": "response.input_tokens", "input_tokens": count}

    def compact_response(self, body: Obj) -> Obj:
        """The conversation so far as the real API compacts it: its user messages, then one
        compaction item standing for everything else."""
        items = self._history(body) + ro.input_items(self.clock, body.get("input"))
        kept = [
            i
            for i in items
            if i.get("type") == "message" and i.get("role") in ("user", "developer", "system")
        ]
        summary = " ".join(ro.item_text(i) for i in items if i not in kept)
        compaction = {
            "id": self.clock.new_id("cmp_"),
            "type": "compaction",
            "encrypted_content": "emulator:" + summary[:2000],
        }
        used = sum(tokens(ro.item_text(i)) for i in items)
        return {
            "id": self.clock.new_id("resp_"),
            "object": "response.compaction",
            "created_at": self.clock.now(),
            "output": [*kept, compaction],
            "usage": ro.usage(used, tokens(compaction["encrypted_content"])),
        }

    # the lifecycle --------------------------------------------------------

    def _new_response(self, body: Obj) -> ResponseRecord:
        if body.get("background") and body.get("store") is False:
            raise bad_request("Background responses require store=true.", param="background")
        self._check_tools(body)
        history = self._history(body)
        given = ro.input_items(self.clock, body.get("input"))
        _check_outputs(history, given)
        obj = ro.response(self.clock, body, model=body.get("model") or DEFAULT_MODEL)
        if obj["conversation"] is not None:
            obj["conversation"]["id"] = self._conversation_id(body)
        rec = ResponseRecord(obj, given, history, body, frozenset(body.get("include") or ()))
        if obj["store"]:
            self.store.responses[obj["id"]] = rec
        conversation = self._conversation_of(rec)
        if conversation is not None:
            for item in given:
                conversation.items[item["id"]] = item
        return rec

    def _stream(self, rec: ResponseRecord, after: int) -> EventStream:
        """The response's events after the `after`th, then each as it is written until the
        response ends; the response is carried out in the background if it has not begun."""
        queue: asyncio.Queue[StreamItem] = asyncio.Queue()
        first = rec.events[after + 1 :]
        if rec.played and not rec.playing:
            queue.put_nowait(None)
        else:
            rec.subscribers.append(queue)
        if not rec.played:
            self.engine.spawn(self._play_watched(rec))

        def unsubscribe() -> None:
            if queue in rec.subscribers:
                rec.subscribers.remove(queue)

        # The Responses API sends no closing event.
        return EventStream(queue, first, unsubscribe, end=b"")

    async def _play_watched(self, rec: ResponseRecord) -> None:
        """`_play` for the streams watching: a bug fails the response (its stream says so)
        rather than leaving its clients waiting; the streams end with it."""
        try:
            await self._play(rec)
        except Exception as exc:
            logger.exception("emulator response %s crashed", rec.obj["id"])
            rec.obj["error"] = {
                "code": "server_error",
                "message": f"The emulator failed: {exc!r}"[:500],
            }
            rec.obj["status"] = "failed"
            EventLog(rec, self.options.stream_chunk_chars).response("response.failed")
        finally:
            rec.playing = False
            for queue in rec.subscribers:
                queue.put_nowait(None)
            rec.subscribers.clear()

    async def _play(self, rec: ResponseRecord) -> None:
        """Carry the response out (once): its items, its events, its end."""
        if rec.played:
            return
        rec.played = rec.playing = True
        try:
            await self._carry_out(rec)
        finally:
            rec.playing = False

    async def _carry_out(self, rec: ResponseRecord) -> None:
        if rec.status == "queued":
            rec.obj["status"] = "in_progress"
            EventLog(rec, self.options.stream_chunk_chars).response("response.in_progress")
        elif not rec.obj["background"]:
            EventLog(rec, self.options.stream_chunk_chars).response("response.in_progress")
        responder = Responder(self.store, self.clock, self.options, self._new_container)
        # over state learned from a cassette, the brain never runs code found in it
        brain = data_brain(self.brain) if self.store.learned else self.brain
        actions, got = responder.start(brain, rec)
        await responder.play(rec, actions, got)
        conversation = self._conversation_of(rec)
        if conversation is not None:
            for item in rec.obj["output"]:
                conversation.items[item["id"]] = item

    def _new_container(self, name: str) -> ContainerRecord:
        box = ContainerRecord(ro.container(self.clock, name))
        self.store.containers[box.obj["id"]] = box
        return box

    def _history(self, body: Obj) -> list[Obj]:
        previous = body.get("previous_response_id")
        if previous is not None and body.get("conversation") is not None:
            raise bad_request(
                "Mutually exclusive parameters: Ensure you are only providing one of: "
                "'previous_response_id' or 'conversation'.",
                code="mutually_exclusive_parameters",
            )
        if previous is not None:
            found = self.store.responses.get(previous)
            if found is None:
                raise ApiError(
                    404,
                    f"Previous response with id '{previous}' not found.",
                    param="previous_response_id",
                )
            output: list[Obj] = found.obj["output"]
            return found.history + found.input + output
        if body.get("conversation") is not None:
            conversation = self.store.conversations.get(self._conversation_id(body))
            if conversation is None:
                raise ro.not_found("Conversation", self._conversation_id(body))
            return list(conversation.items.values())
        return []

    def _conversation_id(self, body: Obj) -> str:
        given = body.get("conversation")
        return str(given.get("id") if isinstance(given, dict) else given)

    def _conversation_of(self, rec: ResponseRecord) -> ConversationRecord | None:
        found = rec.obj.get("conversation")
        return None if found is None else self.store.conversations.get(found["id"])

    def _check_tools(self, body: Obj) -> None:
        """Vector stores exist; a hosted tool the emulator cannot perform is forced only when
        a brain rule scripts it (else the real API's error shape, naming the tool)."""
        choice = body.get("tool_choice")
        forced = choice.get("type") if isinstance(choice, dict) else None
        scripted = {a.kind for rule in self.brain.rules for a in rule.actions}
        for i, tool in enumerate(body.get("tools") or []):
            kind = tool.get("type")
            performed = "web_search" if kind in ro.WEB_SEARCH_TOOLS else kind
            if kind in ro.HOSTED_TOOLS and forced == kind and performed not in scripted:
                raise bad_request(
                    UNSUPPORTED_TOOL.format(tool=kind),
                    param=f"tools[{i}].type",
                    code="unsupported_tool",
                )
            if kind == "file_search":
                for vs_id in tool.get("vector_store_ids") or []:
                    self.store.vector_store(vs_id)

    def _response(self, response_id: str) -> ResponseRecord:
        found = self.store.responses.get(response_id)
        if found is None:
            raise ro.not_found("Response", response_id)
        return found


def _check_outputs(history: list[Obj], given: list[Obj]) -> None:
    """Every `function_call_output` answers a call of the conversation, and the calls the
    conversation's last response made are all answered."""
    calls = [i["call_id"] for i in history + given if i.get("type") == "function_call"]
    answered = {
        i.get("call_id") for i in history + given if i.get("type") == "function_call_output"
    }
    for item in given:
        if item["type"] == "function_call_output" and item["call_id"] not in calls:
            raise bad_request(
                f"No tool call found for function call output with call_id {item['call_id']}.",
                param="input",
            )
    for call_id in calls:
        if (
            call_id not in answered
            and given
            and any(
                i.get("type") == "function_call" and i.get("call_id") == call_id for i in history
            )
        ):
            raise bad_request(f"No tool output found for function call {call_id}.", param="input")


def _int(raw: str | None, name: str) -> int:
    if raw is None or raw == "":
        return -1
    try:
        return int(raw)
    except ValueError:
        raise bad_request(
            f"Invalid type for '{name}': expected an integer, but got a string instead.",
            param=name,
            code="invalid_type",
        ) from None
