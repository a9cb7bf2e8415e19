"""Facts of the Assistants v2 protocol that several parts of the harness rely on."""

from __future__ import annotations

API_PATH = "/v1"
"""The path the OpenAI API's operations follow on its host (`/v1/threads`)."""
AZURE_PATH = "/openai"
"""Azure OpenAI's dated API (`/openai/threads?api-version=...`)."""
AZURE_V1_PATH = AZURE_PATH + API_PATH
"""Azure OpenAI's v1 API (`/openai/v1/responses`)."""
OPENAI_BASE_URL = "https://api.openai.com" + API_PATH
"""The SDK's base URL when the environment names none."""

CHAT_COMPLETIONS_PATH = "/chat/completions"
RESPONSES_PATH = "/responses"
"""Under an API base URL: where a model is asked (the model brain's upstream, either API)."""

BETA_HEADER = "OpenAI-Beta"
BETA_VALUE = "assistants=v2"

RUN_STATUSES = (
    "queued",
    "in_progress",
    "requires_action",
    "cancelling",
    "cancelled",
    "failed",
    "completed",
    "incomplete",
    "expired",
)
ACTIVE_RUN_STATUSES = frozenset({"queued", "in_progress", "requires_action", "cancelling"})
"""A run in one of these holds its thread's lock."""
TERMINAL_RUN_STATUSES = frozenset({"cancelled", "failed", "completed", "incomplete", "expired"})
"""Nothing leaves these."""
POLL_STOP_STATUSES = TERMINAL_RUN_STATUSES | {"requires_action"}
"""Where the SDK's `runs.poll` stops: terminal, or waiting for the app."""

STEP_STATUSES = ("in_progress", "cancelled", "failed", "completed", "expired")
MESSAGE_STATUSES = ("in_progress", "incomplete", "completed")
VECTOR_STORE_FILE_STATUSES = ("in_progress", "completed", "failed", "cancelled")
"""A vector store's `file_counts` count its files by these (and a batch's, the files it lists)."""
ID_PREFIXES = ("asst_", "thread_", "msg_", "run_", "step_", "call_", "file-", "vs_", "vsfb_")

ALWAYS_SENT = {"thread.run": ("temperature", "top_p")}
"""Fields the real API always sent on an object although the spec does not require them."""
REAL_API_OMITTED = {
    "thread.message": ("status", "incomplete_details", "completed_at", "incomplete_at"),
}
"""Fields the spec requires that the real API left out over REST (its stream events carry
them): their absence is how the API behaved, not a deviation."""
REAL_API_NULLS = {"response": ("user", "usage")}
"""Fields the spec types as non-null that the real API sent as null."""
RESPONSE_STATUSES = ("queued", "in_progress", "completed", "incomplete", "failed", "cancelled")
"""A response's lifecycle: `queued → in_progress → completed | incomplete | failed | cancelled`
(only a background response is ever seen queued or in progress)."""
ACTIVE_RESPONSE_STATUSES = frozenset({"queued", "in_progress"})
"""A background response in one of these can still be cancelled."""
TERMINAL_RESPONSE_STATUSES = frozenset({"completed", "incomplete", "failed", "cancelled"})
"""Nothing leaves these."""
RESPONSES_ID_PREFIXES = ("resp_", "conv_", "msg_", "fc_", "fs_", "ci_", "rs_", "cntr_", "cfile_")

LEARNED_REQUEST = "harness.request"
"""Not an API object: the kind of object in which a fault overlay hands the emulator what a
Responses or Conversations request gave (input items, a conversation's first items), which no
response of the API shows, so a take-over knows each response's input and history."""

OTHER_APIS = {
    "realtime": "the Realtime API",
    "audio": "the Audio API",
    "images": "the Images API",
    "embeddings": "the Embeddings API",
    "moderations": "the Moderations API",
    "batches": "the Batch API",
    "fine_tuning": "the Fine-tuning API",
    "evals": "the Evals API",
    "videos": "the Videos API",
}
"""OpenAI APIs the harness does not record or replay, by the first path segment after the
API base: in replay a request of one in a marked test is refused with one line naming it;
while recording it goes to the server the app would have used, unrecorded (but see
`LIVE_ONLY_APIS`)."""
LIVE_ONLY_APIS = frozenset({"realtime"})
"""APIs whose sessions live beyond one request: refused while recording too."""
