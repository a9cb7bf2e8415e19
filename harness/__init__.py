"""Record, replay and check OpenAI Assistants API conversations in pytest.

The pytest plugin is `harness.plugin`; the public pieces a test or a tool uses
live in `harness.api` (the operation table), `harness.cassette` (the file
format), `harness.transcript`, `harness.invariants`, `harness.snapshot`,
`harness.fuzz` and `harness.emulator`. This package exports the errors, which
all derive from `HarnessError`.
"""

from __future__ import annotations

from harness.errors import (
    CassetteError,
    CassetteFormatError,
    CassetteNotFoundError,
    CassetteWriteError,
    ConfigError,
    ForeignRequestError,
    HarnessError,
    InvariantError,
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
    "ScenarioError",
    "SecretFoundError",
    "UnmatchedRequestError",
    "__version__",
]
