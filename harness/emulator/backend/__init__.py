"""The emulator's backend, in moto's shape: one method per API operation, every rule and every
state change of the emulated Assistants API in one class.

Method names are the operation names of `harness.api` (`create_run`,
`submit_tool_outputs_to_run`, ...), and their parameters say what each takes:
path parameters by name, `body` (the JSON body, already checked against the
spec's schema), `page` (a list's cursor), `include_content` (`include[]`),
`upload` (a multipart file) and query parameters by name. The HTTP layer
(`responses.py`) parses a request into those, calls the method through
`dispatch` and renders what it returns: a JSON object, bytes, or an
`EventStream` (objects are shown as REST or streams showed them: `rendering.py`).
Reads of a run, its thread's messages and steps, or a vector store first wait
for the object's background work to rest (`runs.py`, `ingestion.py`), so what
a client sees depends only on the requests it made.
"""

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
