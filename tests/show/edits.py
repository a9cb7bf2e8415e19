"""Cassettes edited for the trace page tests: a text replaced wherever the bodies hold it."""

from __future__ import annotations

import dataclasses
from typing import Any

from harness.cassette.model import Cassette, Interaction


def with_text(cassette: Cassette, old: str, new: str) -> Cassette:
    """`cassette` with `old` replaced by `new` in every request and response body."""

    def swap(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(old, new)
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        return value

    changed = []
    for interaction in cassette.interactions:
        request = dataclasses.replace(interaction.request, body=swap(interaction.request.body))
        response = dataclasses.replace(interaction.response, body=swap(interaction.response.body))
        changed.append(Interaction(request, response, interaction.repeat))
    return Cassette(meta=dict(cassette.meta), interactions=changed)
