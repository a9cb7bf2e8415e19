"""Where the emulator's generated values come from: timestamps and ids.

Unseeded (a standalone `harness emulator`), ids are random and time is the wall
clock, as with the real API. Seeded (`reset(seed=...)`, which the pytest plugin
does for every test with the test's node id), ids are derived from the seed and
a counter per prefix, and time is logical: it starts at a fixed instant and
moves one second after each API request. The same requests in the same order
then produce the same bytes, which is what makes a re-recording reproducible.
"""

from __future__ import annotations

import hashlib
import random
import string
import time
from dataclasses import dataclass

LOGICAL_START = 1_750_000_000  # 2025-06-15T15:06:40Z
UNSEEDED = random.Random()
"""Where unseeded ids come from: seeded once from the system's randomness, then no system
call per id (ids are made on every request's path; they are names, not secrets)."""
_ALPHABET = string.ascii_letters + string.digits


class Clock:
    def __init__(self, seed: str | None = None) -> None:
        self.seed = seed
        self._now = LOGICAL_START
        self._counts: dict[str, int] = {}
        self._reserved: set[str] = set()

    def reserve(self, ids: set[str]) -> None:
        """Ids taken elsewhere (a recording's): `new_id` never returns one."""
        self._reserved |= ids

    @property
    def seeded(self) -> bool:
        return self.seed is not None

    def now(self) -> int:
        """Unix seconds."""
        return self._now if self.seed is not None else int(time.time())

    def tick(self) -> None:
        """An API request was answered."""
        self._now += 1

    def advance_to(self, now: int) -> None:
        """Logical time goes on from `now` unless it is already later (a recording's state
        was taken over: new objects come after the recorded ones)."""
        self._now = max(self._now, now)

    def new_id(self, prefix: str) -> str:
        """An id shaped like the real ones: `thread_` + 24 characters, `file-` + 22; never a
        reserved one."""
        made = self._new_id(prefix)
        while made in self._reserved:
            made = self._new_id(prefix)
        return made

    def _new_id(self, prefix: str) -> str:
        length = 22 if prefix == "file-" else 24
        if self.seed is None:
            number = UNSEEDED.getrandbits(256)
        else:
            count = self._counts[prefix] = self._counts.get(prefix, 0) + 1
            digest = hashlib.sha256(f"{self.seed}\0{prefix}\0{count}".encode()).digest()
            number = int.from_bytes(digest, "big")
        chars: list[str] = []
        while len(chars) < length:
            number, digit = divmod(number, len(_ALPHABET))
            chars.append(_ALPHABET[digit])
        return prefix + "".join(chars)

    def deadline(self, seconds: float) -> Deadline:
        """A moment `seconds` from now, on this clock and on the wall clock."""
        return Deadline(self, self.now() + max(1, -int(-seconds // 1)), time.monotonic() + seconds)


@dataclass(frozen=True)
class Deadline:
    """Passed when either clock gets there: logical time for apps that make requests, wall time
    for apps that only sleep."""

    clock: Clock
    at: int
    wall: float

    def passed(self) -> bool:
        return self.clock.now() >= self.at or time.monotonic() >= self.wall

    def seconds_left(self) -> float:
        return self.wall - time.monotonic()
