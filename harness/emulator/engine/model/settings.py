"""The `model` section of a brain document: which Chat Completions endpoint decides runs.

::

    model:
      base_url: https://api.openai.com/v1   # the endpoint's API base; /chat/completions is added
      model: gpt-4o-mini
      api_key_env: OPENAI_API_KEY           # optional: the NAME of the variable holding the key
      temperature: 0                        # optional: overrides the run's temperature
      seed: 7                               # optional: sent as `seed`
      timeout: 60                           # optional: seconds for one whole answer

The key itself never appears in a brain document: it is read from the named
environment variable when a request is sent, and nothing keeps it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

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
    },
}
_VALIDATOR = Draft202012Validator(MODEL_SCHEMA)
_KEY_LIKE = ("api_key", "key", "token", "authorization", "headers", "password", "secret")


@dataclass(frozen=True)
class ModelSettings:
    base_url: str
    model: str
    api_key_env: str | None = None
    temperature: float | None = None
    seed: int | None = None
    timeout: float = DEFAULT_TIMEOUT

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    def describe(self) -> str:
        return f"model {self.model} at {self.host}"


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
    )
