"""``sending_queue::batch``: the Collector's exporter-side batching.

Batches arriving for one signal are held and merged (by byte concatenation, nothing is
decoded) until they hold ``min_size`` (items or bytes, the batch ``sizer``) or
``flush_timeout`` has passed since the first of them arrived; the merged batch, split at
``max_size`` when that is set, then goes to the sending queue. A flush triggered by size
runs in the caller, so a full queue's backpressure reaches it; a flush triggered by the
timer runs in a task owned here, and what the queue refuses then is counted and logged
by ``on_refused``. :meth:`close` cancels the timers and flushes what is held.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from otelpy.component import Signal
from otelpy.errors import ConsumerError
from otelpy.exporterhelper.config import BatchSettings
from otelpy.pdata import Batch

__all__ = ["ExportBatcher"]

Emit = Callable[[Batch], Awaitable[None]]


class ExportBatcher:
    """Merges batches per signal; hands full or timed-out ones to ``emit``."""

    def __init__(self, cfg: BatchSettings, sizer: str, emit: Emit,
                 on_refused: Callable[[Batch, ConsumerError], None]) -> None:
        self.cfg = cfg
        self._bytes = sizer == "bytes"
        self._emit = emit
        self._on_refused = on_refused
        self._held: dict[Signal, list[Batch]] = {}
        self._size: dict[Signal, int] = {}
        self._timers: dict[Signal, asyncio.Task[None]] = {}
        self._closed = False

    def _measure(self, batch: Batch) -> int:
        return batch.byte_size if self._bytes else batch.item_count

    def held_items(self) -> int:
        """Items held, not yet handed to the queue."""
        return sum(b.item_count for held in self._held.values() for b in held)

    async def add(self, batch: Batch) -> None:
        """Hold ``batch``; flush (in this call) once the signal's batch reaches min_size.

        Raises what ``emit`` raises for a flush made in this call.
        """
        signal = batch.signal
        held = self._held.setdefault(signal, [])
        held.append(batch)
        self._size[signal] = self._size.get(signal, 0) + self._measure(batch)
        if self._size[signal] >= self.cfg.min_size or self._closed:
            await self._flush(signal)
        elif signal not in self._timers:
            self._timers[signal] = asyncio.get_running_loop().create_task(
                self._flush_later(signal), name=f"sending_queue batch timer {signal}")

    def _take(self, signal: Signal) -> list[Batch]:
        timer = self._timers.pop(signal, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
        self._size[signal] = 0
        return self._held.pop(signal, [])

    def _parts(self, signal: Signal, held: list[Batch]) -> list[Batch]:
        if not held:
            return []
        merged = Batch.merge(signal, held)
        limit = self.cfg.max_size
        if not limit or self._measure(merged) <= limit:
            return [merged]
        if self._bytes:  # cut between items, at about max_size bytes each
            per_item = max(1, merged.byte_size // max(1, merged.item_count))
            return merged.split(max(1, limit // per_item))
        return merged.split(limit)

    async def _flush(self, signal: Signal) -> None:
        for part in self._parts(signal, self._take(signal)):
            await self._emit(part)

    async def _flush_later(self, signal: Signal) -> None:
        await asyncio.sleep(self.cfg.flush_timeout)
        for part in self._parts(signal, self._take(signal)):
            try:
                await self._emit(part)
            except ConsumerError as exc:
                self._on_refused(part, exc)

    async def close(self) -> None:
        """Cancel the timers and flush everything held (refusals go to ``on_refused``)."""
        self._closed = True
        timers = list(self._timers.values())
        for timer in timers:
            timer.cancel()
        await asyncio.gather(*timers, return_exceptions=True)
        self._timers.clear()
        for signal in list(self._held):
            for part in self._parts(signal, self._take(signal)):
                try:
                    await self._emit(part)
                except ConsumerError as exc:
                    self._on_refused(part, exc)
