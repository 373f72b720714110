"""The probe protocol and running one probe under a timeout, whatever it does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Protocol

from otelpy.clock import Clock
from otelpy.probes.result import ProbeResult, coerce_result

__all__ = ["Probe", "run_probe"]


class Probe(Protocol):
    """One dependency check. ``check`` answers one :class:`ProbeResult`; it may raise (the
    runner reports that as failed) and is cancelled when it overruns its timeout."""

    async def check(self) -> ProbeResult: ...

    async def close(self) -> None: ...


def _retrieve(task: asyncio.Future[object]) -> None:
    if not task.cancelled():
        task.exception()  # marks it retrieved: the run was already reported as timed out


async def _race(work: Awaitable[object], cutoff: float, clock: Clock) -> object:
    """``work``'s value, or TimeoutError once ``cutoff`` seconds pass on ``clock`` (``work`` is
    then cancelled). Timing goes through the clock so a fake clock drives it in tests."""
    task = asyncio.ensure_future(work)
    if cutoff <= 0:
        return await task
    timer = asyncio.ensure_future(clock.sleep(cutoff))
    try:
        await asyncio.wait((task, timer), return_when=asyncio.FIRST_COMPLETED)
    finally:
        timer.cancel()
    if not task.done():
        # not awaited: a probe that ignores its cancellation must not hang the caller
        task.add_done_callback(_retrieve)
        task.cancel()
        raise TimeoutError
    return task.result()


async def run_probe(probe: Probe, cutoff: float, clock: Clock) -> tuple[ProbeResult, float]:
    """Run ``probe`` once: its result and how long it took in seconds. Never raises (but
    for cancellation of the caller): a probe that raises, overruns ``cutoff`` seconds or returns
    something that is not a result gives a failed result saying so."""
    start = clock.monotonic()
    try:
        value = await _race(probe.check(), cutoff, clock)
    except TimeoutError:
        result = ProbeResult.failed(f"timed out after {cutoff:g}s")
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - a probe's own failure is its result
        result = ProbeResult.failed(f"{type(exc).__name__}: {exc}")
    else:
        result = coerce_result(value)
    return result, clock.monotonic() - start
