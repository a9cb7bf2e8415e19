"""The indexed player: finds a recorded response in constant time, and knows what it played.

Interactions are grouped by match key when the player is built. Within a
key, responses are served in recorded order; once they run out, the last one
repeats, so code that polls more often than it did when recorded still ends.
An interaction counts as played once any of its repeats was served (how often an
identical poll repeated is timing), which strict replay reads. A response is read
from its interaction only when it is served (a cassette loaded for replay reads
its responses then: `harness.cassette.format`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from harness.cassette.matching import KeyFunction, MatchKey, request_key
from harness.cassette.model import Cassette, Interaction, Request, Response
from harness.cassette.wire import response_to_http


@dataclass(frozen=True)
class Played:
    """A recorded response as served: `index` is its interaction's 0-based position."""

    index: int
    response: Response


@dataclass
class _Queue:
    """The interactions recorded for one key: (index, interaction, times) in order."""

    entries: list[tuple[int, Interaction, int]] = field(default_factory=list)
    position: int = 0
    used: int = 0

    def peek(self) -> int:
        return self.entries[self.position][0]

    def next(self) -> Played:
        index, interaction, times = self.entries[self.position]
        played = Played(index, interaction.response)
        self.used += 1
        if self.used >= times and self.position + 1 < len(self.entries):
            self.position += 1
            self.used = 0
        return played

    @property
    def exhausted(self) -> bool:
        return self.position == len(self.entries) - 1 and self.used >= self.entries[-1][2]


class Player:
    def __init__(self, cassette: Cassette, key: KeyFunction = request_key) -> None:
        self.key = key
        self._queues: dict[MatchKey, _Queue] = {}
        self._wire: dict[int, tuple[list[tuple[str, str]], bytes]] = {}
        self._requests: list[Request] = []
        self._played: list[bool] = []
        for interaction in cassette.interactions:
            self._add(interaction)

    def _add(self, interaction: Interaction) -> None:
        queue = self._queues.setdefault(self.key(interaction.request), _Queue())
        queue.entries.append((len(self._requests), interaction, interaction.repeat))
        self._requests.append(interaction.request)
        self._played.append(False)

    def find(self, request: Request) -> Response | None:
        """The next recorded response for `request`, or None."""
        played = self.take(request)
        return played.response if played is not None else None

    def take(self, request: Request, *, again: bool = True) -> Played | None:
        """The next recorded response for `request` with its interaction, or None; with
        `again=False`, None also once the key's responses are used up (no last repeat)."""
        queue = self._queues.get(self.key(request))
        if queue is None or (not again and queue.exhausted):
            return None
        played = queue.next()
        self._played[played.index] = True
        return played

    def peek(self, request: Request) -> int | None:
        """The interaction `take` would serve next for `request` (not marked played)."""
        queue = self._queues.get(self.key(request))
        return queue.peek() if queue is not None else None

    def wire(self, response: Response) -> tuple[list[tuple[str, str]], bytes]:
        """Headers and body bytes of a response, rendered once and cached."""
        rendered = self._wire.get(id(response))
        if rendered is None:
            rendered = self._wire[id(response)] = response_to_http(response)
        return rendered

    def recorded_requests(self) -> Iterator[Request]:
        return iter(self._requests)

    def all_played(self) -> bool:
        return all(queue.exhausted for queue in self._queues.values())

    def played(self) -> list[int]:
        """0-based positions of the interactions served at least once, in recorded order."""
        return [index for index, played in enumerate(self._played) if played]

    def last_played(self) -> int:
        """The 0-based position of the last recorded interaction served (-1: none yet)."""
        return max((i for i, played in enumerate(self._played) if played), default=-1)

    def unplayed(self) -> list[int]:
        """0-based positions of the interactions never served, in recorded order.

        Responses recorded one after another for the same key and identical (a poll that saw
        no change, kept apart only by headers that take no part in matching) count as one:
        serving any of them plays them all, as serving one of an interaction's repeats does."""
        found: list[int] = []
        for queue in self._queues.values():
            group: list[int] = []
            previous: Response | None = None
            for index, interaction, _ in queue.entries:
                response = interaction.response
                if group and response != previous:
                    found += [] if any(self._played[i] for i in group) else group
                    group = []
                group.append(index)
                previous = response
            found += [] if any(self._played[i] for i in group) else group
        return sorted(found)
