"""Assistants: create, list, get, modify, delete."""

from __future__ import annotations

from harness.emulator.backend import objects
from harness.emulator.backend.inputs import Page
from harness.emulator.backend.state import BackendState, paginated
from harness.emulator.backend.store import Obj


class AssistantOperations(BackendState):
    # assistants ---------------------------------------------------------

    def create_assistant(self, body: Obj) -> Obj:
        body["tool_resources"] = self._tool_resources(body.get("tool_resources"))
        obj = objects.assistant(self.clock, body)
        self.store.assistants[obj["id"]] = obj
        return obj

    def list_assistants(self, page: Page) -> Obj:
        return paginated(list(self.store.assistants.values()), page)

    def get_assistant(self, assistant_id: str) -> Obj:
        return self.store.assistant(assistant_id)

    def modify_assistant(self, assistant_id: str, body: Obj) -> Obj:
        obj = self.store.assistant(assistant_id)
        if "tool_resources" in body:
            body["tool_resources"] = self._tool_resources(body["tool_resources"])
        objects.update_assistant(obj, body)
        return obj

    def delete_assistant(self, assistant_id: str) -> Obj:
        obj = self.store.assistant(assistant_id)
        del self.store.assistants[obj["id"]]
        return objects.deleted(obj["id"], "assistant.deleted")
