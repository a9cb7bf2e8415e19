"""Record, replay and check OpenAI Assistants API conversations in pytest."""

from __future__ import annotations

from harness.errors import (
    CassetteError,
    CassetteFormatError,
    CassetteNotFoundError,
    ConfigError,
    HarnessError,
    InvariantError,
    ScenarioError,
    SecretFoundError,
    UnmatchedRequestError,
)

__version__ = "0.1.0"

__all__ = [
    "CassetteError",
    "CassetteFormatError",
    "CassetteNotFoundError",
    "ConfigError",
    "HarnessError",
    "InvariantError",
    "ScenarioError",
    "SecretFoundError",
    "UnmatchedRequestError",
    "__version__",
]
