"""The clock components take their time from (DESIGN.md, "State, time and queries").

Components that wait, schedule or keep windows read time and sleep through the
:class:`Clock` in their ``Settings`` instead of calling ``time`` and ``asyncio.sleep``
directly, so tests can drive them with :class:`otelpy.testing.clock.FakeClock`
instead of sleeping.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol


class Clock(Protocol):
    """Wall time, monotonic time and sleeping."""

    def time_ns(self) -> int:
        """Wall-clock time in nanoseconds since the Unix epoch."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards; only differences mean anything."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return after ``seconds`` have passed on this clock (at once when <= 0)."""
        ...


class SystemClock:
    """The real clock: ``time.time_ns``, ``time.monotonic`` and ``asyncio.sleep``."""

    def time_ns(self) -> int:
        return time.time_ns()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))


SYSTEM_CLOCK: Clock = SystemClock()


async def run_every(clock: Clock, interval: float, initial_delay: float,
                    tick: Callable[[], Awaitable[object]]) -> None:
    """Await ``tick()`` after ``initial_delay``, then every ``interval`` seconds until
    cancelled; a tick that overruns skips the ticks it missed, as a Go ticker does."""
    await clock.sleep(initial_delay)
    due = clock.monotonic()
    while True:
        await tick()
        due += interval
        now = clock.monotonic()
        if now >= due:
            due += (now - due) // interval * interval + interval
        await clock.sleep(due - now)
