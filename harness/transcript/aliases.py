"""Stable aliases for volatile ids: `asst_1`, `thread_1`, `msg_3`, by kind and first appearance."""

from __future__ import annotations

import functools
import re
from typing import Any

from harness import api
from harness.cassette.model import Cassette

JSON = Any

_PREFIXES = (
    ("asst_", "asst"),
    ("thread_", "thread"),
    ("msg_", "msg"),
    ("run_", "run"),
    ("step_", "step"),
    ("call_", "call"),
    ("file-", "file"),
    ("file_", "file"),
    ("vsfb_", "vsfb"),
    ("vs_", "vs"),
    ("resp_", "resp"),
    ("conv_", "conv"),
    ("fc_", "fc"),
    ("rs_", "rs"),
    ("ws_", "ws"),
    ("fs_", "fs"),
    ("ci_", "ci"),
    ("mcpr_", "mcpr"),
    ("mcpl_", "mcpl"),
    ("mcp_", "mcp"),
    ("cntr_", "cntr"),
)
_ID = re.compile(
    r"(?:asst_|thread_|msg_|run_|step_|call_|file-|file_|vsfb_|vs_|resp_|conv_|fc_|rs_|ws_|fs_|"
    r"ci_|mcpr_|mcpl_|mcp_|cntr_)[A-Za-z0-9][\w-]*\Z"
)
# JSON keys whose values are ids: `id`, `*_id`, `*_ids`, and the listing cursors.
_ID_KEY = re.compile(r"id|.*_ids?|after|before|conversation", re.DOTALL)


@functools.lru_cache(maxsize=4096)
def _is_id_key(key: str) -> bool:
    return _ID_KEY.fullmatch(key) is not None


class Aliases:
    """Real id -> alias, numbered per kind in order of first appearance."""

    def __init__(self) -> None:
        self.table: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: JSON) -> None:
        if not isinstance(value, str) or value in self.table or not _ID.match(value):
            return
        kind = next(k for p, k in _PREFIXES if value.startswith(p))
        self._counts[kind] = self._counts.get(kind, 0) + 1
        self.table[value] = f"{kind}_{self._counts[kind]}"

    def collect(self, value: JSON, key: str = "") -> None:
        # Containers are walked, strings under an id key added; everything else is skipped
        # without a call (this walk touches every value of a cassette).
        if isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, (dict, list)):
                    self.collect(v, str(k))
                elif isinstance(v, str) and _is_id_key(str(k)):
                    self.add(v)
        elif isinstance(value, list):
            strings = _is_id_key(key)
            for item in value:
                if isinstance(item, (dict, list)):
                    self.collect(item, key)
                elif strings and isinstance(item, str):
                    self.add(item)
        elif isinstance(value, str) and _is_id_key(key):
            self.add(value)

    def text(self, value: str) -> str:
        if not self.table:
            return value
        if self._pattern is None:
            ids = sorted(self.table, key=len, reverse=True)
            self._pattern = re.compile(
                r"(?<![\w-])(?:" + "|".join(map(re.escape, ids)) + r")(?![\w-])"
            )
        return self._pattern.sub(lambda m: self.table[m.group()], value)

    def deep(self, value: JSON) -> JSON:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.deep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        return value

    def of(self, value: JSON) -> str | None:
        return self.table.get(value) if isinstance(value, str) else None


def collect_ids(cassette: Cassette) -> Aliases:
    """Every id of the cassette's API requests, in the order they first appear.

    Ids come from the matched operation's path parameters, then the query, the request body,
    the response; a request that matches no operation contributes none.
    """
    aliases = Aliases()
    for interaction in cassette.interactions:
        request, response = interaction.request, interaction.response
        found = api.match(request.method, request.path)
        if found is None:
            continue
        for value in found.params.values():
            aliases.add(value)
        for name, value in request.query:
            aliases.collect(value, name.rstrip("[]"))
        aliases.collect(request.body)
        aliases.collect(response.body)
        for event in response.events or ():
            aliases.collect(event.get("data"))
    return aliases
