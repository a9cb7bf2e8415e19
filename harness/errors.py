"""The harness's exceptions: one tree under `HarnessError`.

A leaf also inherits the builtin it resembles, so callers can catch either.
Every message is one line that says what happened, where, and what to do.
"""

from __future__ import annotations

from typing import Any


class HarnessError(Exception):
    """Root of every error the harness raises on purpose."""


class ConfigError(HarnessError, ValueError):
    """A bad option, ini key, marker argument or environment variable."""


class MissingExtraError(ConfigError, ImportError):
    """Something needs an optional extra of the package that is not installed."""


class CassetteError(HarnessError):
    """Something is wrong with a cassette file."""


class CassetteNotFoundError(CassetteError, FileNotFoundError):
    """Replay asked for a cassette that does not exist."""


class CassetteFormatError(CassetteError, ValueError):
    """A cassette file cannot be read: corrupt, wrong version, missing fields."""


class CassetteWriteError(CassetteError, OSError):
    """A take could not be written where it belongs; it was saved elsewhere (the message
    names both places)."""


class LiveCassetteError(CassetteError, PermissionError):
    """Recording would replace a cassette recorded live with a take of another backend."""


class UnmatchedRequestError(CassetteError, LookupError):
    """Replay met a request that the cassette does not hold."""

    request: Any = None
    """The request, redacted as a cassette keeps it (`harness.cassette.model.Request`), when
    known: a trace page marks where the conversation left the recording with it."""


class ForeignRequestError(CassetteError, ConnectionRefusedError):
    """Replay met a request that is not Assistants API traffic, and no one else serves it."""


class UnknownApiError(ForeignRequestError):
    """A marked test called an OpenAI API the harness does not record or replay (Realtime,
    Audio, ...); refused while recording and in replay alike."""


class ScenarioError(HarnessError, ValueError):
    """A scenario file is invalid."""


class InvariantError(HarnessError, AssertionError):
    """A transcript breaks a rule of the Assistants or Responses protocol."""


class SecretFoundError(HarnessError, ValueError):
    """A cassette holds something that looks like a secret."""


class ParityError(HarnessError, AssertionError):
    """Two recordings do not hold the same conversation (`harness.parity`)."""
