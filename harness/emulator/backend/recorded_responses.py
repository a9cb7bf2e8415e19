"""Taking over recorded Responses and Conversations state (`recorded.py` does the Assistants
side): each response as last shown with the input and history its request gave it, each
conversation with its items in order, and the calls a learned response left waiting, so the
test's brain goes on where its plan was.

A fault overlay hands over, besides the objects the recording showed, one
`LEARNED_REQUEST` object per request that gave a response or a conversation input (no
response shows a request's input items), placed before what the answer showed. State
learned so is data: a learned response that ended is never carried out again, and a brain
over learned state never runs code found in it (`DataBrain`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from harness.api import ACTIVE_RESPONSE_STATUSES
from harness.api.constants import LEARNED_REQUEST
from harness.emulator.backend import response_objects as ro
from harness.emulator.backend.clock import Clock
from harness.emulator.backend.store import ConversationRecord, Obj, ResponseRecord, Store
from harness.emulator.engine.brain import Brain, Plan, RunContext
from harness.emulator.engine.responder import Pending, context
from harness.emulator.engine.templates import Gathered
from harness.emulator.errors import ApiError

KINDS = frozenset({"response", "conversation", LEARNED_REQUEST})
"""The objects this module files."""
_SHOWN_DEFAULTS: dict[str, Any] = {
    "output": [],
    "background": False,
    "conversation": None,
    "tools": [],
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "store": True,
}
"""What the emulator reads of a response that a recording from another server may lack."""


class DataBrain(Brain):
    """The test's brain over learned state: the same rules and model, but with no rule
    matching it never runs code a learned message holds (cassettes are data)."""

    def plan(self, ctx: RunContext) -> Plan:
        return super().plan(dataclasses.replace(ctx, runs_default_code=False))


def data_brain(brain: Brain) -> Brain:
    return DataBrain(rules=brain.rules, model=brain.model)


def file(store: Store, clock: Clock, obj: Obj) -> None:
    """File one learned object of `KINDS`."""
    kind = obj.get("object")
    if kind == "response" and isinstance(obj.get("id"), str):
        _response(store, clock, obj)
    elif kind == "conversation" and isinstance(obj.get("id"), str):
        found = store.conversations.get(obj["id"])
        if found is None:
            store.conversations[obj["id"]] = ConversationRecord(obj)
        else:
            found.obj = {**found.obj, **obj}
    elif kind == LEARNED_REQUEST and isinstance(obj.get("id"), str):
        body: Obj = obj["body"] if isinstance(obj.get("body"), dict) else {}
        shown: Obj = obj["shown"] if isinstance(obj.get("shown"), dict) else {}
        if obj.get("operation") == "create_response":
            _request(store, clock, obj["id"], body)
        elif obj.get("operation") == "create_conversation":
            conversation = _conversation(store, obj["id"], shown)
            _add(conversation, _items(clock, body.get("items"), "items"))
        elif obj.get("operation") == "create_conversation_items":
            data = shown.get("data")
            items = (
                [i for i in data if isinstance(i, dict) and "id" in i]
                if isinstance(data, list)
                else []
            )
            _add(_conversation(store, obj["id"], {}), items)


def deleted(store: Store, obj: Obj) -> bool:
    """Forget a response or conversation a recording showed deleted."""
    kind, object_id = obj.get("object"), str(obj.get("id"))
    if kind == "response":
        store.responses.pop(object_id, None)
    elif kind == "conversation.deleted":
        store.conversations.pop(object_id, None)
    else:
        return False
    return True


def _response(store: Store, clock: Clock, obj: Obj) -> ResponseRecord:
    rec = store.responses.get(obj["id"])
    if rec is None:
        shown = {**_SHOWN_DEFAULTS, **obj}
        rec = store.responses[obj["id"]] = ResponseRecord(shown, [], [], {})
    else:
        rec.obj = {**rec.obj, **obj}
    # an ended response is never carried out again; one the recording left going is, by the
    # test's brain, when the app asks for it
    rec.played = rec.status not in ACTIVE_RESPONSE_STATUSES
    conversation = _conversation_of(store, rec)
    if conversation is not None and rec.played:
        _add(conversation, [i for i in rec.obj.get("output") or () if isinstance(i, dict)])
    return rec


def _request(store: Store, clock: Clock, response_id: str, body: Obj) -> None:
    rec = store.responses.get(response_id)
    if rec is None:
        made = ro.response(clock, body, model=str(body.get("model") or "gpt-4o"))
        made["id"] = response_id
        conversation = body.get("conversation")
        if isinstance(conversation, dict):
            made["conversation"] = {"id": conversation.get("id")}
        rec = _response(store, clock, made)
    rec.body = body
    rec.include = frozenset(i for i in body.get("include") or () if isinstance(i, str))
    rec.input = _items(clock, body.get("input"), "input")
    previous = store.responses.get(str(body.get("previous_response_id")))
    conversation = _conversation_of(store, rec)
    if previous is not None:
        rec.history = previous.history + previous.input + list(previous.obj.get("output") or ())
    elif conversation is not None:
        rec.history = list(conversation.items.values())
    if conversation is not None:
        _add(conversation, rec.input)


def _items(clock: Clock, given: Any, param: str) -> list[Obj]:
    try:
        return ro.input_items(clock, given, param)
    except (ApiError, AttributeError, TypeError):
        return []  # input the API refused is no item of the conversation


def _conversation(store: Store, conversation_id: str, shown: Obj) -> ConversationRecord:
    found = store.conversations.get(conversation_id)
    if found is None:
        obj = {"id": conversation_id, "object": "conversation", "created_at": 0, "metadata": {}}
        found = store.conversations[conversation_id] = ConversationRecord({**obj, **shown})
    return found


def _conversation_of(store: Store, rec: ResponseRecord) -> ConversationRecord | None:
    given = rec.obj.get("conversation")
    conversation_id = given.get("id") if isinstance(given, dict) else given
    return store.conversations.get(conversation_id) if isinstance(conversation_id, str) else None


def _add(conversation: ConversationRecord, items: list[Obj]) -> None:
    for item in items:
        conversation.items.setdefault(str(item["id"]), item)


# --- the calls a learned response left waiting -------------------------------------------


def resume_calls(store: Store, brain: Brain) -> None:
    """For each function call a learned response made that no learned request answered: what
    the brain does once it is answered, the rest of its plan after that call (a model brain
    decides from the conversation instead)."""
    if brain.model is not None:
        return
    # a call is behind the plan once a response its answer went into completed; an answer
    # that went into a response that failed (a fault's) left the plan where it was
    answered = {
        str(i.get("call_id"))
        for rec in store.responses.values()
        if rec.status == "completed"
        for i in rec.input
        if i.get("type") == "function_call_output"
    }
    for rec in list(store.responses.values()):
        if not rec.played:
            continue
        calls = {
            str(i.get("call_id")): str(i.get("name"))
            for i in rec.obj.get("output") or ()
            if isinstance(i, dict) and i.get("type") == "function_call"
        }
        waiting = {
            c: n for c, n in calls.items() if c not in answered and c not in store.pending_calls
        }
        if waiting:
            _resume(store, brain, rec, waiting)


def _resume(store: Store, brain: Brain, rec: ResponseRecord, waiting: dict[str, str]) -> None:
    user = next(
        (
            ro.item_text(i)
            for i in reversed(rec.history + rec.input)
            if i.get("type") == "message" and i.get("role") == "user"
        ),
        "",
    )
    try:
        ctx = context(rec.obj, user, False)
    except (KeyError, TypeError, AttributeError):
        return  # a response shape the brain cannot read: its calls start afresh when answered
    left = list(data_brain(brain).plan(ctx).actions)
    names = sorted(waiting.values())
    while left:
        action = left.pop(0)
        if action.kind == "call" and sorted(c.name for c in action.calls) == names:
            pending = Pending(tuple(left), Gathered(user_message=user, assistant_name=""), waiting)
            for call_id in waiting:
                store.pending_calls[call_id] = pending
            return
