"""Conversations and their items: create (with initial items), retrieve, update metadata,
delete; items listed, added, retrieved and deleted. Responses made with
`conversation=` append their input and output items (`responses.py`)."""

from __future__ import annotations

from harness.emulator.backend import response_objects as ro
from harness.emulator.backend.inputs import Page
from harness.emulator.backend.state import BackendState, paginated
from harness.emulator.backend.store import ConversationRecord, Obj


class ConversationOperations(BackendState):
    def create_conversation(self, body: Obj) -> Obj:
        items = ro.input_items(self.clock, body.get("items") or [], "items")
        conversation = ConversationRecord(ro.conversation(self.clock, body.get("metadata")))
        for item in items:
            conversation.items[item["id"]] = item
        self.store.conversations[conversation.obj["id"]] = conversation
        return conversation.obj

    def get_conversation(self, conversation_id: str) -> Obj:
        return self._conversation(conversation_id).obj

    def update_conversation(self, conversation_id: str, body: Obj) -> Obj:
        conversation = self._conversation(conversation_id)
        conversation.obj["metadata"] = dict(body.get("metadata") or {})
        return conversation.obj

    def delete_conversation(self, conversation_id: str) -> Obj:
        conversation = self._conversation(conversation_id)
        del self.store.conversations[conversation.obj["id"]]
        return ro.deleted(conversation.obj["id"], "conversation")

    def create_conversation_items(self, conversation_id: str, body: Obj) -> Obj:
        conversation = self._conversation(conversation_id)
        items = ro.input_items(self.clock, body["items"], "items")
        for item in items:
            conversation.items[item["id"]] = item
        return paginated(items, Page(limit=len(items) or 1, order="asc"))

    def list_conversation_items(self, conversation_id: str, page: Page) -> Obj:
        conversation = self._conversation(conversation_id)
        items = list(conversation.items.values())
        return paginated(items, page, lambda item: ro.shown(item, frozenset()))

    def get_conversation_item(self, conversation_id: str, item_id: str) -> Obj:
        conversation = self._conversation(conversation_id)
        item = conversation.items.get(item_id)
        if item is None:
            raise ro.not_found("Item", item_id)
        return ro.shown(item, frozenset())

    def delete_conversation_item(self, conversation_id: str, item_id: str) -> Obj:
        conversation = self._conversation(conversation_id)
        if item_id not in conversation.items:
            raise ro.not_found("Item", item_id)
        del conversation.items[item_id]
        return conversation.obj

    def _conversation(self, conversation_id: str) -> ConversationRecord:
        found = self.store.conversations.get(conversation_id)
        if found is None:
            raise ro.not_found("Conversation", conversation_id)
        return found
