"""The emulated service: every API operation, one method each, in one class."""

from harness.emulator.backend.assistants import AssistantOperations
from harness.emulator.backend.containers import ContainerOperations
from harness.emulator.backend.conversations import ConversationOperations
from harness.emulator.backend.files import FileOperations
from harness.emulator.backend.responses import ResponseOperations
from harness.emulator.backend.state import Result
from harness.emulator.backend.threads import ThreadOperations
from harness.emulator.backend.vector_stores import VectorStoreOperations


class AssistantsBackend(
    AssistantOperations,
    ThreadOperations,
    FileOperations,
    VectorStoreOperations,
    ResponseOperations,
    ConversationOperations,
    ContainerOperations,
):
    """All state of one emulator, and one method per API operation (`harness.api`): the
    Assistants API's, and the Responses and Conversations APIs' with containers."""


__all__ = ["AssistantsBackend", "Result"]
