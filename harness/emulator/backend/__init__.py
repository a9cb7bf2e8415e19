"""The emulator's backend, in moto's shape: one method per API operation, every rule and every
state change of the emulated API, in `service.AssistantsBackend`.

Method names are the operation names of `harness.api` (`create_run`,
`submit_tool_outputs_to_run`, ...), and their parameters say what each takes:
path parameters by name, `body` (the JSON body, already checked against the
spec's schema), `page` (a list's cursor), `include_content` (`include[]`),
`upload` (a multipart file) and query parameters by name. The HTTP layer
(`http/handlers.py`) parses a request into those, calls the method through
`dispatch` and renders what it returns: a JSON object, bytes, or an
`EventStream` (objects are shown as REST or streams showed them: `rendering.py`).
Reads of a run, its thread's messages and steps, or a vector store first wait
for the object's background work to rest (`runs.py`, `ingestion.py`), so what
a client sees depends only on the requests it made.
"""
