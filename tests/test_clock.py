"""The system clock and the fake clock tests drive components with."""

from __future__ import annotations

import asyncio
import time

from otelpy.clock import SYSTEM_CLOCK
from otelpy.testing.clock import FakeClock


def test_system_clock_reads_real_time() -> None:
    before = time.time_ns()
    assert before <= SYSTEM_CLOCK.time_ns() <= time.time_ns()
    m = SYSTEM_CLOCK.monotonic()
    assert m <= time.monotonic()


def test_system_clock_sleep_waits() -> None:
    async def main() -> float:
        t0 = time.monotonic()
        await SYSTEM_CLOCK.sleep(0.05)
        await SYSTEM_CLOCK.sleep(-1)
        return time.monotonic() - t0

    assert asyncio.run(main()) >= 0.05


def test_fake_clock_wakes_sleepers_in_deadline_order() -> None:
    clock = FakeClock()
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.monotonic()))

    async def main() -> None:
        tasks = [asyncio.create_task(sleeper(n, s)) for n, s in (("c", 30), ("a", 10), ("b", 20))]
        await clock.advance(15)
        assert woke == [("a", 10.0)]
        assert clock.monotonic() == 15.0
        await clock.advance(100)
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert woke == [("a", 10.0), ("b", 20.0), ("c", 30.0)]


def test_fake_clock_periodic_task_runs_once_per_interval() -> None:
    clock = FakeClock()
    ticks: list[int] = []

    async def every_5s() -> None:
        while True:
            await clock.sleep(5)
            ticks.append(clock.time_ns())

    async def main() -> None:
        task = asyncio.create_task(every_5s())
        await clock.advance(23)
        task.cancel()

    asyncio.run(main())
    start = FakeClock().time_ns()
    assert ticks == [start + k * 5_000_000_000 for k in (1, 2, 3, 4)]


def test_fake_clock_cancelled_sleeper_is_skipped() -> None:
    clock = FakeClock()

    async def main() -> int:
        task = asyncio.create_task(clock.sleep(10))
        await asyncio.sleep(0)
        task.cancel()
        await clock.advance(20)
        return clock.sleepers

    assert asyncio.run(main()) == 0
