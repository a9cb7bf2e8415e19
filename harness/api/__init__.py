"""The Assistants v2 API as data: its operations, how to match a request to one, its constants.

This is the one place that knows API paths. The emulator routes by it, the
transcript builder and the invariants read cassettes through it, replay uses
it to tell Assistants traffic from everything else.
"""

from harness.api.constants import (
    ACTIVE_RUN_STATUSES,
    BETA_HEADER,
    BETA_VALUE,
    ID_PREFIXES,
    MESSAGE_STATUSES,
    OTHER_APIS,
    POLL_STOP_STATUSES,
    RUN_STATUSES,
    STEP_STATUSES,
    TERMINAL_RUN_STATUSES,
)
from harness.api.operations import (
    Located,
    Match,
    Operation,
    locate,
    match,
    operation,
    operations,
    other_api,
)

__all__ = [
    "ACTIVE_RUN_STATUSES",
    "BETA_HEADER",
    "BETA_VALUE",
    "ID_PREFIXES",
    "MESSAGE_STATUSES",
    "OTHER_APIS",
    "POLL_STOP_STATUSES",
    "RUN_STATUSES",
    "STEP_STATUSES",
    "TERMINAL_RUN_STATUSES",
    "Located",
    "Match",
    "Operation",
    "locate",
    "match",
    "operation",
    "operations",
    "other_api",
]
