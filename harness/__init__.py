"""Record, replay and check OpenAI Assistants API conversations in pytest.

The pytest plugin is `harness.plugin`; the public pieces a test or a tool uses
live in `harness.api` (the operation table), `harness.cassette` (the file
format), `harness.transcript`, `harness.invariants`, `harness.snapshot`,
`harness.fuzz`, `harness.parity` and `harness.emulator`. This package exports the
errors, which all derive from `HarnessError`, and `assert_same_conversation`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.errors import (
    CassetteError,
    CassetteFormatError,
    CassetteNotFoundError,
    CassetteWriteError,
    ConfigError,
    ForeignRequestError,
    HarnessError,
    InvariantError,
    ParityError,
    ScenarioError,
    SecretFoundError,
    UnmatchedRequestError,
)

__version__ = "0.2.0"

__all__ = [
    "CassetteError",
    "CassetteFormatError",
    "CassetteNotFoundError",
    "CassetteWriteError",
    "ConfigError",
    "ForeignRequestError",
    "HarnessError",
    "InvariantError",
    "ParityError",
    "ScenarioError",
    "SecretFoundError",
    "UnmatchedRequestError",
    "__version__",
    "assert_same_conversation",
]

if TYPE_CHECKING:
    from harness.parity.assertion import assert_same_conversation


def __getattr__(name: str) -> Any:
    # Imported on first use, so loading the plugin stays light.
    if name == "assert_same_conversation":
        from harness.parity.assertion import assert_same_conversation

        return assert_same_conversation
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
