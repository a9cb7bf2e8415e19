"""The `model` section of a brain document: which model endpoint decides runs and responses.

::

    model:
      base_url: https://api.openai.com/v1   # the endpoint's API base; /chat/completions is added
      model: gpt-4o-mini
      api_key_env: OPENAI_API_KEY           # optional: the NAME of the variable holding the key
      temperature: 0                        # optional: overrides the run's temperature
      seed: 7                               # optional: sent as `seed`
      timeout: 60                           # optional: seconds for one whole answer
      api: chat_completions                 # optional: or `responses`: /responses is added,
                                            # and the endpoint is spoken to as a Responses API

The key itself never appears in a brain document: it is read from the named
environment variable when a request is sent, and nothing keeps it. Only
variables the user allowed may be named (`allowed_key_env`): by default any
`*_API_KEY`; `HARNESS_MODEL_KEY_ENVS` (comma-separated shell patterns, e.g.
`LOCAL_LLM_TOKEN,*_API_KEY`) replaces that list. A brain can thus never send,
say, `GH_TOKEN` to its endpoint unless the user said so.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from harness.api.constants import CHAT_COMPLETIONS_PATH, RESPONSES_PATH
from harness.emulator.engine.model.upstream import CHAT_COMPLETIONS, RESPONSES
from harness.emulator.errors import BrainError

DEFAULT_TIMEOUT = 60.0
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MODEL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["base_url", "model"],
    "additionalProperties": False,
    "properties": {
        "base_url": {"type": "string", "pattern": r"^https?://[^/?#@\s]+(/[^?#@\s]*)?$"},
        "model": {"type": "string", "minLength": 1},
        "api_key_env": {"type": "string", "pattern": ENV_NAME.pattern},
        "temperature": {"type": "number", "minimum": 0, "maximum": 2},
        "seed": {"type": "integer"},
        "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 600},
        "api": {"enum": [CHAT_COMPLETIONS, RESPONSES]},
    },
}
_VALIDATOR = Draft202012Validator(MODEL_SCHEMA)
KEY_ENVS_VARIABLE = "HARNESS_MODEL_KEY_ENVS"
DEFAULT_KEY_ENVS = ("*_API_KEY",)
_KEY_LIKE = ("api_key", "key", "token", "authorization", "headers", "password", "secret")


@dataclass(frozen=True)
class ModelSettings:
    base_url: str
    model: str
    api_key_env: str | None = None
    temperature: float | None = None
    seed: int | None = None
    timeout: float = DEFAULT_TIMEOUT
    api: str = CHAT_COMPLETIONS
    """The API the endpoint speaks: `chat_completions` or `responses` (`upstream.py`)."""

    @property
    def url(self) -> str:
        path = RESPONSES_PATH if self.api == RESPONSES else CHAT_COMPLETIONS_PATH
        return self.base_url.rstrip("/") + path

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    def describe(self) -> str:
        return f"model {self.model} at {self.host}"


def key_env_patterns() -> tuple[str, ...]:
    """The shell patterns a key variable's name must match (`HARNESS_MODEL_KEY_ENVS`)."""
    given = os.environ.get(KEY_ENVS_VARIABLE, "")
    patterns = tuple(p.strip() for p in given.split(",") if p.strip())
    return patterns or DEFAULT_KEY_ENVS


def allowed_key_env(name: str) -> bool:
    """Whether the model brain may send the variable `name` as its key."""
    return any(fnmatchcase(name, pattern) for pattern in key_env_patterns())


def key_env_refusal(field: str) -> str:
    """The one line refusing a key variable the user did not allow (never echoing its
    name, which may be a pasted key)."""
    shown = ",".join(key_env_patterns())
    return (
        f"{field}: the model brain may send as its key only variables named {shown}; "
        f"set {KEY_ENVS_VARIABLE}=NAME,... (shell patterns) to allow another"
    )


def parse_model(
    raw: Any, where: str = "brain model", names: dict[str, str] | None = None
) -> ModelSettings:
    """Validate a `model` section; one-line BrainError naming the field (`where.field`, or
    `names[field]`), never echoing a value that may be a key."""

    def at(field: str) -> str:
        if names and field in names:
            return names[field]
        return f"{where}.{field}" if field else where

    if not isinstance(raw, dict):
        raise BrainError(f"{where}: expected an object with base_url and model")
    for name in raw:
        if str(name).lower() in _KEY_LIKE:
            raise BrainError(
                f"{at(str(name))}: a key never goes in a brain document; put it in an "
                "environment variable and name the variable with api_key_env"
            )
    env = raw.get("api_key_env")
    if env is not None and not (isinstance(env, str) and ENV_NAME.match(env)):
        raise BrainError(
            f"{at('api_key_env')}: expected the name of an environment variable "
            "(letters, digits and _), not the key itself"
        )
    if env is not None and not allowed_key_env(env):
        raise BrainError(key_env_refusal(at("api_key_env")))
    base_url = raw.get("base_url")
    if isinstance(base_url, str):
        parts = urlsplit(base_url)
        if "@" in parts.netloc or parts.query or parts.fragment:
            raise BrainError(
                f"{at('base_url')}: give scheme, host, port and path only (no user, password "
                "or query: a key goes in the variable named by api_key_env)"
            )
    error = best_match(_VALIDATOR.iter_errors(raw))
    if error is not None:
        field = ".".join(str(p) for p in error.absolute_path)
        message = error.message
        if field == "base_url":
            message = "expected an http:// or https:// URL"
        raise BrainError(f"{at(field)}: {message}")
    return ModelSettings(
        base_url=raw["base_url"],
        model=raw["model"],
        api_key_env=env,
        temperature=raw.get("temperature"),
        seed=raw.get("seed"),
        timeout=float(raw.get("timeout", DEFAULT_TIMEOUT)),
        api=str(raw.get("api", CHAT_COMPLETIONS)),
    )
