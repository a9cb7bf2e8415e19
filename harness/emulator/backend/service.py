"""The emulated service: every API operation, one method each, in one class."""

from harness.emulator.backend.assistants import AssistantOperations
from harness.emulator.backend.files import FileOperations
from harness.emulator.backend.state import Result
from harness.emulator.backend.threads import ThreadOperations
from harness.emulator.backend.vector_stores import VectorStoreOperations


class AssistantsBackend(
    AssistantOperations, ThreadOperations, FileOperations, VectorStoreOperations
):
    """All state of one emulator, and one method per API operation (`harness.api`)."""


__all__ = ["AssistantsBackend", "Result"]
