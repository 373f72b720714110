"""When checks run, and one round of them: the checks due at the same moment, run
concurrently, each cut at its own timeout.

One :class:`Schedule` (a heap of due times) replaces a sleeping task per check: the
receiver's one scheduler task sleeps until the earliest due time and starts a round of
every check due by then. Phases are deterministic: check ``i`` of ``n`` runs first at
start, then ``interval - phase`` later and every interval after, with ``phase`` spread
over min(interval, SPREAD) in steps of SLOT, so 1,000 checks at 1 s make 50 rounds a
second of 20 checks each (a round's results travel as one batch), never 1,000 at once.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable, Mapping, Sequence

from otelpy.clock import Clock
from otelpy.probes.base import Probe
from otelpy.probes.result import ProbeResult, coerce_result

__all__ = ["SLOT", "SPREAD", "Schedule", "run_round"]

SPREAD = 1.0  # seconds over which the checks' second runs are spread (at most one interval)
SLOT = 0.02  # phases are multiples of this: the checks of one slot make one round

Finish = Callable[[str, ProbeResult, float], None]


class Schedule:
    """Each check's next due time (``clock.monotonic`` seconds), all in one heap."""

    def __init__(self, intervals: Sequence[tuple[str, float]], start: float) -> None:
        self._heap: list[tuple[float, int, str]] = []
        self._interval: dict[str, float] = {}
        self._phase: dict[str, float] = {}
        count = len(intervals)
        for i, (name, interval) in enumerate(intervals):
            slots = max(1, int(min(interval, SPREAD) / SLOT + 1e-9))
            self._interval[name] = interval
            self._phase[name] = (i * slots // count) * SLOT if interval > SLOT else 0.0
            self._heap.append((start, i, name))
        heapq.heapify(self._heap)

    def next_due(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: float) -> list[tuple[str, float]]:
        """Every check due by ``now`` with its due time, each rescheduled: one interval
        on (its first run: minus its phase); ticks already missed are skipped, as a
        ticker does."""
        out = []
        while self._heap and self._heap[0][0] <= now:
            due, order, name = heapq.heappop(self._heap)
            out.append((name, due))
            interval = self._interval[name]
            following = due + interval - self._phase.pop(name, 0.0)
            if following <= now:
                following += ((now - following) // interval + 1) * interval
            heapq.heappush(self._heap, (following, order, name))
        return out


def _outcome(task: asyncio.Future[ProbeResult]) -> ProbeResult:
    exc = task.exception()
    if exc is not None:
        return ProbeResult.failed(f"{type(exc).__name__}: {exc}")
    return coerce_result(task.result())


def _retrieve(task: asyncio.Future[ProbeResult]) -> None:
    if not task.cancelled():
        task.exception()  # marks it retrieved: the run was already reported as timed out


async def run_round(probes: Mapping[str, Probe], names: Sequence[str],
                    cutoffs: Mapping[str, float], clock: Clock, finish: Finish) -> None:
    """Run ``names``' probes concurrently; ``finish(name, result, seconds)`` as each ends,
    raises, returns garbage or overruns its cutoff (> 0; it is then cancelled, not
    awaited: a probe that ignores cancellation cannot hold the round). Returns once every
    check is finished; cancelling it cancels the probes still running."""
    start = clock.monotonic()
    loop = asyncio.get_running_loop()
    waiting: dict[asyncio.Future[ProbeResult], str] = {}
    finished = loop.create_future()

    def done(task: asyncio.Future[ProbeResult]) -> None:
        name = waiting.pop(task, None)
        if name is None:  # timed out before, or the round was cancelled
            _retrieve(task)
            return
        if not task.cancelled():
            finish(name, _outcome(task), clock.monotonic() - start)
        if not waiting and not finished.done():
            finished.set_result(None)

    for name in names:
        task = asyncio.ensure_future(probes[name].check())
        waiting[task] = name
        task.add_done_callback(done)
    try:
        while waiting:
            deadlines = [start + cutoffs[n] for n in waiting.values() if cutoffs[n] > 0]
            if not deadlines:
                await asyncio.shield(finished)
                break
            timer = asyncio.ensure_future(clock.sleep(min(deadlines) - clock.monotonic()))
            try:
                await asyncio.wait((finished, timer), return_when=asyncio.FIRST_COMPLETED)
            finally:
                timer.cancel()
            _cut(waiting, cutoffs, start, clock.monotonic(), finish)
    finally:
        for left in list(waiting):
            del waiting[left]
            left.cancel()


def _cut(waiting: dict[asyncio.Future[ProbeResult], str], cutoffs: Mapping[str, float],
         start: float, now: float, finish: Finish) -> None:
    for task, name in list(waiting.items()):
        cutoff = cutoffs[name]
        if 0 < cutoff and start + cutoff <= now:
            del waiting[task]
            task.cancel()
            finish(name, ProbeResult.failed(f"timed out after {cutoff:g}s"), now - start)
