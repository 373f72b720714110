"""A bounded table of per-stream state with staleness expiry and counted evictions."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["StreamTable"]

S = TypeVar("S")


class StreamTable(Generic[S]):
    """Per-stream state, least recently updated first.

    ``max_streams`` bounds the number of streams: :meth:`admit` refuses a new stream when the
    table is full (the caller drops the point and counts it). :meth:`expire` removes streams
    not updated for ``max_stale`` seconds (by the monotonic clock passed in) and returns how
    many went; both are counted in :attr:`evicted` / :attr:`refused`.
    """

    def __init__(self, max_streams: int, max_stale: float,
                 on_evict: Callable[[int], None] | None = None) -> None:
        self.max_streams = max_streams
        self.max_stale = max_stale
        self._states: OrderedDict[Hashable, tuple[float, S]] = OrderedDict()
        self._on_evict = on_evict
        self.evicted = 0
        self.refused = 0

    def __len__(self) -> int:
        return len(self._states)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._states

    def get(self, key: Hashable) -> S | None:
        entry = self._states.get(key)
        return None if entry is None else entry[1]

    def admit(self, key: Hashable) -> bool:
        """Whether ``key`` has state or there is room for it (counted in ``refused`` if not)."""
        if key in self._states or len(self._states) < self.max_streams:
            return True
        self.refused += 1
        return False

    def put(self, key: Hashable, state: S, now: float) -> None:
        """Store ``state`` for ``key``, updated at ``now`` (moves it to the newest end)."""
        self._states[key] = (now, state)
        self._states.move_to_end(key)

    def expire(self, now: float) -> int:
        """Remove streams last updated ``max_stale`` seconds or more before ``now``."""
        if self.max_stale <= 0:
            return 0
        removed = 0
        states = self._states
        while states:
            key, (updated, _) = next(iter(states.items()))
            if now - updated < self.max_stale:
                break
            del states[key]
            removed += 1
        if removed:
            self.evicted += removed
            if self._on_evict is not None:
                self._on_evict(removed)
        return removed
