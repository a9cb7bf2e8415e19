"""Whether two cassettes record the same conversation (a re-recording that changed nothing).

Two takes are the same when their transcripts (ids aliased, timestamps and
poll counts left out) are equal and the requests the app made are equal once
their ids are aliased: the second test keeps a re-recorded cassette's file
byte-identical, and a new take that changes a request body is never mistaken
for an unchanged one (it would not replay from the old file).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from harness.cassette.model import Cassette
from harness.transcript import transcript


def same_conversation(a: Cassette, b: Cassette) -> bool:
    ta, tb = transcript(a), transcript(b)
    if ta.to_data() != tb.to_data():
        return False
    return _requests(a, ta.aliases) == _requests(b, tb.aliases)


def _requests(cassette: Cassette, aliases: Mapping[str, str]) -> list[Any]:
    alias = _substitute(aliases)
    out: list[Any] = []
    for interaction in cassette.interactions:
        request = interaction.request.to_data()
        request.pop("headers", None)  # helper headers vary with how the SDK was called
        entry = alias(request)
        if not out or out[-1] != entry:  # how often a request repeated is timing
            out.append(entry)
    return out


def _substitute(aliases: Mapping[str, str]) -> Any:
    if not aliases:
        return lambda value: value
    pattern = re.compile("|".join(map(re.escape, sorted(aliases, key=len, reverse=True))))

    def alias(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub(lambda m: aliases[m.group()], value)
        if isinstance(value, dict):
            return {alias(k): alias(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [alias(v) for v in value]
        return value

    return alias
