"""A clock tests move by hand: components sleeping on it wake when it is advanced."""

from __future__ import annotations

import asyncio
import heapq
import itertools


class FakeClock:
    """Implements :class:`otelpy.clock.Clock`; time moves only through :meth:`advance`.

    ``time_ns`` starts at ``start_ns`` (2026-01-01T00:00:00Z by default) and moves with
    ``monotonic``. Sleepers are woken in deadline order; :meth:`advance` lets the event
    loop run after each wake-up, so work a sleeper does before its next sleep is done
    when ``advance`` returns.
    """

    def __init__(self, start_ns: int = 1_767_225_600_000_000_000) -> None:
        self._start_ns = start_ns
        self._now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def time_ns(self) -> int:
        return self._start_ns + round(self._now * 1e9)

    def monotonic(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._seq), future))
        await future

    @property
    def sleepers(self) -> int:
        """How many sleeps are waiting (cancelled ones included until they would wake)."""
        return sum(1 for _, _, f in self._sleepers if not f.done())

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, waking every sleeper due on the way, in order."""
        target = self._now + seconds
        await _settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            self._now = max(self._now, deadline)
            if not future.done():
                future.set_result(None)
            await _settle()
        self._now = target
        await _settle()


async def _settle(rounds: int = 20) -> None:
    """Let ready callbacks run: a few trips around the event loop."""
    for _ in range(rounds):
        await asyncio.sleep(0)
