"""The persistent sending queue: batches kept in a DurableLog until delivered.

One :class:`PersistentQueue` per exporter and signal, in the log
``<storage directory>/<exporter id>/<signal>/`` of a storage extension
(``sending_queue.storage: file_storage/<name>``).

* :meth:`PersistentQueue.put` returns once the batch is durably enqueued per the
  storage's fsync policy. Bounds: ``queue_size`` batches and ``max_bytes`` bytes (0 = no
  byte bound), counting every batch not yet acknowledged (waiting and being sent); a
  full queue blocks the caller (``overflow: block``) or drops the batch (``drop_newest``:
  ``put`` returns False and the caller counts the drop).
* ``num_consumers`` workers take batches in order, send them with the exporter's
  retries, and acknowledge each one after it was delivered, or after it failed for
  good (a permanent error, or any failure with retries disabled: counted in
  ``otelcol_exporter_send_failed_*`` and logged). A batch whose retries ran out
  (``max_elapsed_time``) is not dropped: it goes back to the end of the queue, so
  nothing is lost while the queue has room. A retryable failure while stopping
  leaves the batch on disk, unacknowledged.
* On open, every batch not acknowledged before is queued again, oldest first. Those
  handed to a sender since the previous open and not acknowledged (the storage saves
  both facts as they happen) may reach the destination twice: their items are counted
  in ``otelpy_exporter_queue_redelivered_<items>``. The mark "handed to a sender" is
  undone after every attempt that certainly did not reach the destination (a
  RetryableError with ``may_have_arrived`` False, e.g. connection refused, HTTP 503)
  unless an earlier attempt since the open may have; it is set again before the next
  attempt. So a batch retried only while the backend refused it is not counted.
* :meth:`PersistentQueue.close` stops the workers (a send in progress gets
  ``drain_timeout`` seconds to finish), fsyncs and closes the log: what is not
  acknowledged stays on disk for the next start.

Batches written in this process stay in memory too (up to ``CACHE_BYTES`` per queue)
so sending them needs no disk read; older ones are read back when their turn comes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from otelpy.component import Signal
from otelpy.errors import ConsumerError, RetryableError
from otelpy.exporterhelper.logthrottle import ThrottledLog
from otelpy.exporterhelper.metrics import SignalCounters
from otelpy.exporterhelper.queue import QueueClosed
from otelpy.exporterhelper.retry import attempt_watcher
from otelpy.pdata import SPECS, Batch
from otelpy.storage import AppendFailed, CorruptRecord, DurableLog, LogClosed, RecordRef

__all__ = ["PersistentQueue", "CACHE_BYTES"]

CACHE_BYTES = 32 * 1024 * 1024


@dataclass(eq=False)
class _Entry:
    ref: RecordRef
    batch: Batch | None  # None: read it back from disk
    marked: bool = False  # its dispatch mark is set in the log
    reached: bool = False  # an attempt since the open may have reached the destination

    @property
    def items(self) -> int:
        return self.ref.meta


class _Dispatch:
    """Keeps an entry's dispatch mark as its attempts go (a retry AttemptWatcher)."""

    def __init__(self, log: DurableLog, entry: _Entry) -> None:
        self._log, self._entry = log, entry

    def before(self) -> None:
        entry = self._entry
        if not entry.marked:
            self._log.mark_dispatched(entry.ref.seq)
            entry.marked = True

    def failed(self, exc: RetryableError) -> None:
        entry = self._entry
        if exc.may_have_arrived:
            entry.reached = True
        elif entry.marked and not entry.reached:
            self._log.unmark_dispatched(entry.ref.seq)
            entry.marked = False


class _Room:
    """Capacity in batches and bytes; producers wait in arrival order; closeable."""

    def __init__(self, batches: int, max_bytes: int) -> None:
        self.batches, self.max_bytes = batches, max_bytes
        self.count = 0
        self.bytes = 0
        self._waiters: deque[tuple[asyncio.Future[None], int]] = deque()
        self._closed = False

    def _fits(self, nbytes: int) -> bool:
        if self.count >= self.batches:
            return False
        # a batch larger than max_bytes alone still goes into an empty queue
        return not self.max_bytes or self.count == 0 or self.bytes + nbytes <= self.max_bytes

    def force(self, nbytes: int) -> None:
        """Take room regardless of the bounds (batches recovered from disk)."""
        self.count += 1
        self.bytes += nbytes

    def try_take(self, nbytes: int) -> bool:
        """Take room without waiting; False when full. Raises QueueClosed."""
        if self._closed:
            raise QueueClosed("queue is closed")
        if self._waiters or not self._fits(nbytes):
            return False
        self.force(nbytes)
        return True

    async def take(self, nbytes: int) -> None:
        """Wait in line for room. Raises QueueClosed when closed before or meanwhile."""
        if self.try_take(nbytes):
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((fut, nbytes))
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                self.give_back(nbytes)  # granted just before the cancel
            else:
                self._waiters = deque(w for w in self._waiters if w[0] is not fut)
            raise

    def give_back(self, nbytes: int) -> None:
        self.count -= 1
        self.bytes -= nbytes
        while self._waiters and self._fits(self._waiters[0][1]):
            fut, size = self._waiters.popleft()
            if not fut.done():
                self.force(size)
                fut.set_result(None)

    def close(self) -> None:
        self._closed = True
        while self._waiters:
            fut, _ = self._waiters.popleft()
            if not fut.done():
                fut.set_exception(QueueClosed("queue is closed"))


class PersistentQueue:
    """The persistent queue of one exporter for one signal."""

    def __init__(self, log: DurableLog, signal: Signal, capacity: int, max_bytes: int,
                 send: Callable[[Batch], Awaitable[None]], counters: SignalCounters,
                 redelivered: Any, logger: logging.Logger,
                 stopping: Callable[[], bool], requeue: bool = True) -> None:
        self.signal = signal
        self.log = log
        self._room = _Room(capacity, max_bytes)
        self._send = send
        self._counters = counters
        self._logger = logger
        self._stopping = stopping
        self._requeue = requeue
        self._ready: deque[_Entry] = deque()
        self._wakeup = asyncio.Event()
        self._workers: list[asyncio.Task[None]] = []
        self._cached = 0
        self.unacked_items = 0
        self._closed = False
        self._failed_log = ThrottledLog(logger, logging.WARNING)
        self._requeue_log = ThrottledLog(logger, logging.WARNING)
        self._recover(redelivered)

    def _recover(self, redelivered: Any) -> None:
        recovery = self.log.recovery
        again = 0
        for ref in recovery.records:
            self._room.force(ref.length)
            self._ready.append(_Entry(ref, None))
            self.unacked_items += ref.meta
            if recovery.state.was_dispatched(ref.seq):
                again += ref.meta
        if again:
            redelivered.inc(again)
        if recovery.records:
            self._logger.info("persistent queue %s: %d batches (%d %s) recovered from disk, "
                              "%d of those items possibly delivered already (sent again)",
                              self.signal, len(recovery.records), self.unacked_items,
                              SPECS[self.signal].item_name, again)
        if not recovery.had_ack_file and recovery.records:
            self._logger.warning("persistent queue %s: no acknowledgement file in %s; "
                                 "every batch found is sent again", self.signal,
                                 self.log.directory)

    def __len__(self) -> int:
        """Batches not yet acknowledged (waiting or being sent)."""
        return self._room.count

    # -- producers ----------------------------------------------------------------------
    async def put(self, batch: Batch) -> bool:
        """Enqueue durably (per the fsync policy). False: dropped because the queue is
        full under ``drop_newest`` (the caller counts it).

        Raises QueueClosed when closing, RetryableError when the disk write failed.
        """
        return await self._put(batch, wait=True)

    async def offer(self, batch: Batch) -> bool:
        """Like :meth:`put` but never waits for room: False when the queue is full."""
        return await self._put(batch, wait=False)

    async def _put(self, batch: Batch, wait: bool) -> bool:
        data = batch.data
        nbytes = len(data)
        if not self._room.try_take(nbytes):
            if not wait:
                return False
            await self._room.take(nbytes)
        written = functools.partial(self._written, batch, nbytes)
        try:
            await self.log.append((data,), batch.item_count, written)
        except LogClosed:
            raise QueueClosed("queue is closed") from None
        except AppendFailed as exc:
            raise RetryableError(f"persistent queue: {exc}") from None
        return True

    def _written(self, batch: Batch, nbytes: int, ref: RecordRef | None) -> None:
        if ref is None:
            self._room.give_back(nbytes)
            return
        keep = self._cached + nbytes <= CACHE_BYTES
        if keep:
            self._cached += nbytes
        self.unacked_items += ref.meta
        self._ready.append(_Entry(ref, batch if keep else None))
        self._wakeup.set()

    # -- workers ------------------------------------------------------------------------
    def start(self, workers: int, name: str) -> None:
        if self._workers or self._closed:
            return
        loop = asyncio.get_running_loop()
        self._workers = [loop.create_task(self._worker(), name=f"{name} sender {i}")
                         for i in range(workers)]

    async def _next(self) -> _Entry | None:
        while not self._closed:
            if self._ready:
                return self._ready.popleft()
            self._wakeup.clear()
            await self._wakeup.wait()
        return None

    async def _worker(self) -> None:
        while (entry := await self._next()) is not None:
            await self._deliver(entry)

    async def _load(self, entry: _Entry) -> Batch | None:
        """The entry's batch; None when it cannot be read (counted, logged, acknowledged)."""
        if entry.batch is not None:
            return entry.batch
        try:
            data = await self.log.read(entry.ref)
        except CorruptRecord:  # counted and logged by the storage
            self._done(entry)
            return None
        except OSError as exc:
            self._failed(entry, exc)
            return None
        return Batch(self.signal, data, None, entry.items)

    async def _deliver(self, entry: _Entry) -> None:
        batch = await self._load(entry)
        if batch is None:
            return
        try:
            await self._send_marked(entry, batch)
        except RetryableError as exc:
            if self._stopping():
                return  # stays on disk for the next start
            if self._requeue:
                self._requeue_log.log("exporting failed after every retry, %d %s go back to "
                                      "the end of the persistent queue: %s", entry.items,
                                      SPECS[self.signal].item_name, exc)
                self._ready.append(entry)
                self._wakeup.set()
                return
            self._failed(entry, exc)
            return
        except ConsumerError as exc:  # permanent
            self._failed(entry, exc)
            return
        except Exception as exc:  # noqa: BLE001 - a bug in send must not kill the worker
            self._logger.exception("send failed unexpectedly")
            self._failed(entry, exc)
            return
        self._counters.sent.inc(entry.items)
        self._done(entry)

    async def _send_marked(self, entry: _Entry, batch: Batch) -> None:
        """``send``, with the entry marked as handed to a sender (saved first) while an
        attempt may reach the destination; raises what ``send`` raises."""
        watch = _Dispatch(self.log, entry)
        watch.before()
        token = attempt_watcher.set(watch)
        try:
            await self._send(batch)
        except RetryableError as exc:
            watch.failed(exc)  # the final error (a send without a RetryPolicy too)
            raise
        finally:
            attempt_watcher.reset(token)

    def _failed(self, entry: _Entry, exc: BaseException) -> None:
        self._counters.send_failed.inc(entry.items)
        self._failed_log.log("exporting failed, dropping %d %s from the persistent queue: %s",
                             entry.items, SPECS[self.signal].item_name, exc)
        self._done(entry)

    def _done(self, entry: _Entry) -> None:
        """Acknowledge: the entry is never sent again."""
        self.log.ack(entry.ref.seq)
        self.unacked_items -= entry.items
        if entry.batch is not None:
            self._cached -= entry.ref.length
            entry.batch = None
        self._room.give_back(entry.ref.length)

    # -- closing ------------------------------------------------------------------------
    async def close(self, grace: float) -> int:
        """Stop taking batches, give sends in progress ``grace`` seconds, then close the
        log. Returns the items left on disk (sent after the next start). Idempotent."""
        if not self._closed:
            self._closed = True
            self._room.close()
            self._wakeup.set()
            if self._workers:
                _, pending = await asyncio.wait(self._workers, timeout=grace)
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                self._workers = []
        try:
            await self.log.close()
        except OSError as exc:
            self._logger.error("closing the persistent queue %s failed: %s", self.signal, exc)
        return self.unacked_items
