"""The Assistants v2 and Responses/Conversations APIs as data: their operations, how to match a
request to one, the lifecycles of runs and responses, their constants.

This is the one place that knows API paths and status graphs. The emulator routes by it, the
transcript builder and the invariants read cassettes through it, replay uses
it to tell Assistants traffic from everything else.
"""

from harness.api.constants import (
    ACTIVE_RESPONSE_STATUSES,
    ACTIVE_RUN_STATUSES,
    API_PATH,
    AZURE_PATH,
    AZURE_V1_PATH,
    BETA_HEADER,
    BETA_VALUE,
    ID_PREFIXES,
    MESSAGE_STATUSES,
    OPENAI_BASE_URL,
    OTHER_APIS,
    POLL_STOP_STATUSES,
    RESPONSE_STATUSES,
    RUN_STATUSES,
    STEP_STATUSES,
    TERMINAL_RESPONSE_STATUSES,
    TERMINAL_RUN_STATUSES,
    VECTOR_STORE_FILE_STATUSES,
)
from harness.api.lifecycle import (
    CANCEL_STATUSES,
    RESPONSE_EDGES,
    RUN_EDGES,
    UNSUCCESSFUL_ENDS,
    UNSUCCESSFUL_RESPONSE_ENDS,
    UNSUCCESSFUL_RUN_ENDS,
    reachable,
    response_ended,
    run_ended,
)
from harness.api.operations import (
    Located,
    Match,
    Operation,
    live_only_api,
    locate,
    match,
    operation,
    operations,
    other_api,
)

__all__ = [
    "ACTIVE_RESPONSE_STATUSES",
    "ACTIVE_RUN_STATUSES",
    "API_PATH",
    "AZURE_PATH",
    "AZURE_V1_PATH",
    "BETA_HEADER",
    "BETA_VALUE",
    "CANCEL_STATUSES",
    "ID_PREFIXES",
    "MESSAGE_STATUSES",
    "OPENAI_BASE_URL",
    "OTHER_APIS",
    "POLL_STOP_STATUSES",
    "RESPONSE_EDGES",
    "RESPONSE_STATUSES",
    "RUN_EDGES",
    "RUN_STATUSES",
    "STEP_STATUSES",
    "TERMINAL_RESPONSE_STATUSES",
    "TERMINAL_RUN_STATUSES",
    "UNSUCCESSFUL_ENDS",
    "UNSUCCESSFUL_RESPONSE_ENDS",
    "UNSUCCESSFUL_RUN_ENDS",
    "VECTOR_STORE_FILE_STATUSES",
    "Located",
    "Match",
    "Operation",
    "live_only_api",
    "locate",
    "match",
    "operation",
    "operations",
    "other_api",
    "reachable",
    "response_ended",
    "run_ended",
]
