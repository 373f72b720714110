"""ExporterHelper: the sending queue, retries, per-attempt timeout and self-metrics
that every queue-and-retry exporter shares.

An exporter supplies ``send(batch)``: one attempt to deliver one batch, raising
:class:`~otelpy.errors.RetryableError` (with ``retry_after`` when the server gave a
hint) or :class:`~otelpy.errors.PermanentError`. The helper is the exporter's
:class:`~otelpy.consumer.Consumer`:

* queue enabled: ``consume_*`` enqueues and returns (or waits for room, with
  ``overflow: block``; or drops and counts, with ``overflow: drop_newest``);
  ``num_consumers`` worker tasks send with retries. A batch that still fails is
  dropped, counted in ``otelcol_exporter_send_failed_*`` and logged (rate-limited).
* queue disabled: ``consume_*`` sends inline with retries and raises the final error.
* ``sending_queue.batch`` set (in-memory queue only): batches are merged before the
  queue (:mod:`otelpy.exporterhelper.batcher`); ``sizer`` bounds the queue in batches,
  items or bytes; ``wait_for_result: true`` sends inline, as with the queue disabled.
* ``sending_queue.storage`` set: the queue is persistent (one per signal, on disk through
  a storage extension, see :mod:`otelpy.exporterhelper.persistent`); ``consume_*``
  returns once the batch is durably enqueued.

Shutdown stops accepting, stops retrying (waiting retries wake and give up), lets the
workers drain the queue with one attempt per batch for at most ``drain_timeout``
seconds, then cancels them and logs and counts exactly how many items were dropped.
With a persistent queue, shutdown stops the workers (a send in progress gets
``drain_timeout`` seconds) and closes the log: what is not delivered stays on disk for
the next start, and nothing is dropped.
Per batch the work is O(1): nothing here looks inside a batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

from otelpy.component import Host, Settings, Signal
from otelpy.consumer import Capabilities, Consumer
from otelpy.errors import ConsumerError, PermanentError, RetryableError, SendProgress, send_progress
from otelpy.exporterhelper.batcher import ExportBatcher
from otelpy.exporterhelper.config import QueueSettings, RetrySettings
from otelpy.exporterhelper.durable import PersistentQueues
from otelpy.exporterhelper.logthrottle import ThrottledLog
from otelpy.exporterhelper.metrics import ExporterMetrics, SignalCounters
from otelpy.exporterhelper.queue import BatchQueue, QueueClosed
from otelpy.exporterhelper.retry import RetryPolicy
from otelpy.pdata import SPECS, Batch

__all__ = ["ExporterHelper", "SendFunc"]

SendFunc = Callable[[Batch], Awaitable[None]]

_WEIGHTS: dict[str, Callable[[Batch], int] | None] = {
    "requests": None, "items": lambda b: b.item_count, "bytes": lambda b: b.byte_size}


class ExporterHelper(Consumer):
    """Queue + retry + timeout + metrics around one ``send`` coroutine function."""

    capabilities = Capabilities(mutates_data=False)

    def __init__(
        self,
        settings: Settings,
        signals: Iterable[Signal],
        queue_cfg: QueueSettings,
        retry_cfg: RetrySettings,
        timeout: float,
        send: SendFunc,
        drain_timeout: float = 5.0,
    ) -> None:
        self.settings = settings
        self.signals = frozenset(signals)
        self.drain_timeout = drain_timeout
        self.retry = RetryPolicy(retry_cfg)
        self.metrics = ExporterMetrics(settings.telemetry, str(settings.id), self.signals)
        self.dropped_at_shutdown: dict[Signal, int] = {s: 0 for s in self.signals}
        self._log = settings.logger
        self._send = send
        self._timeout = timeout
        self._counters = self.metrics.by_signal
        self._num_consumers = queue_cfg.num_consumers
        self._drop_newest = queue_cfg.overflow == "drop_newest"
        self._queue: BatchQueue[Batch] | None = None
        self._persistent: PersistentQueues | None = None
        if queue_cfg.enabled and queue_cfg.storage is not None:
            persistent = PersistentQueues(settings, self.signals, queue_cfg, self._send_retrying,
                                          self._counters, lambda: self._stopping,
                                          requeue=retry_cfg.enabled)
            self._persistent = persistent
            self.metrics.track_queue(lambda: len(persistent), queue_cfg.queue_size)
        elif queue_cfg.enabled and not queue_cfg.wait_for_result:
            queue: BatchQueue[Batch] = BatchQueue(queue_cfg.queue_size, _WEIGHTS[queue_cfg.sizer])
            self._queue = queue
            self.metrics.track_queue(lambda: queue.used, queue.capacity)
        self._batcher: ExportBatcher | None = None
        if self._queue is not None and queue_cfg.batch is not None:
            self._batcher = ExportBatcher(queue_cfg.batch, queue_cfg.batch_sizer,
                                          self._enqueue, self._batch_refused)
        self._workers: list[asyncio.Task[None]] = []
        self._in_flight: list[Batch | None] = []
        self._stopping = False
        self._full_log = ThrottledLog(self._log, logging.WARNING)
        self._failed_log = ThrottledLog(self._log, logging.WARNING)

    # -- consumer -----------------------------------------------------------------------
    async def consume(self, batch: Batch) -> None:
        """Accept ``batch`` (queued, sent, or dropped-and-counted on overflow).

        Raises PermanentError for a signal this exporter was not created for,
        RetryableError while shutting down, and with the queue disabled, the final
        send error.
        """
        counters = self._counters.get(batch.signal)
        if counters is None:
            raise PermanentError(f"exporter {self.settings.id} does not export {batch.signal}")
        if self._persistent is not None:
            await self._consume_persistent(self._persistent, batch, counters)
            return
        if self._queue is None:
            await self._send_inline(batch, counters)
        elif self._batcher is not None and not self._stopping:
            await self._batcher.add(batch)
        else:
            await self._enqueue(batch)

    consume_traces = consume_metrics = consume_logs = consume

    async def _enqueue(self, batch: Batch) -> None:
        """Put ``batch`` in the in-memory queue (waiting, or dropping, when it is full).

        Raises RetryableError once the queue is closed.
        """
        queue, counters = self._queue, self._counters[batch.signal]
        assert queue is not None
        try:
            if queue.offer(batch):
                return
            if self._drop_newest:
                self._overflowed(batch, counters)
                return
            await queue.put(batch)
        except QueueClosed:
            counters.enqueue_failed.inc(batch.item_count)
            raise RetryableError(f"exporter {self.settings.id} is shutting down") from None

    def _batch_refused(self, batch: Batch, exc: Exception) -> None:
        """A merged batch the closed queue refused (already counted as enqueue_failed)."""
        n = batch.item_count
        if self._stopping:
            self.dropped_at_shutdown[batch.signal] += n
        self._failed_log.log("sending queue refused a batch of %d %s: %s", n,
                             SPECS[batch.signal].item_name, exc)

    async def _consume_persistent(self, persistent: PersistentQueues, batch: Batch,
                                  counters: SignalCounters) -> None:
        """Enqueue on disk; refusals (stopping, storage unavailable) are counted and raised."""
        try:
            if self._stopping:
                raise QueueClosed("exporter is stopping")
            if not await persistent.put(batch, self._drop_newest):
                self._overflowed(batch, counters)
        except QueueClosed:
            counters.enqueue_failed.inc(batch.item_count)
            raise RetryableError(f"exporter {self.settings.id} is shutting down") from None
        except RetryableError as exc:  # the disk write or its fsync failed
            counters.enqueue_failed.inc(batch.item_count)
            self._full_log.log("persistent queue refused %d %s (retryable): %s",
                               batch.item_count, SPECS[batch.signal].item_name, exc)
            raise

    def _overflowed(self, batch: Batch, counters: SignalCounters) -> None:
        n = batch.item_count
        counters.enqueue_failed.inc(n)
        self._full_log.log("sending_queue is full (%d batches): dropped %d %s; consider a "
                           "larger sending_queue.queue_size", self.queue_size, n,
                           SPECS[batch.signal].item_name)

    @property
    def queue_size(self) -> int:
        """Batches waiting in the queue (0 without a queue); with a persistent queue, the
        batches not yet delivered."""
        if self._persistent is not None:
            return len(self._persistent)
        return 0 if self._queue is None else len(self._queue)

    # -- sending ------------------------------------------------------------------------
    async def _attempt(self, batch: Batch) -> None:
        """One send, bounded by ``timeout``; a timeout is retryable."""
        if self._timeout <= 0:
            await self._send(batch)
            return
        progress = SendProgress()
        token = send_progress.set(progress)
        try:
            async with asyncio.timeout(self._timeout):
                await self._send(batch)
        except TimeoutError:
            # before the transport wrote a byte (still connecting), nothing can have arrived
            raise RetryableError(f"send timed out after {self._timeout:g}s",
                                 may_have_arrived=progress.may_have_arrived) from None
        finally:
            send_progress.reset(token)

    async def _send_retrying(self, batch: Batch) -> None:
        """Send with retries; raises the final error (the persistent queue's send)."""
        await self.retry.run(self._attempt, batch)

    async def _send_inline(self, batch: Batch, counters: SignalCounters) -> None:
        if self._stopping:
            counters.enqueue_failed.inc(batch.item_count)
            raise RetryableError(f"exporter {self.settings.id} is shutting down")
        try:
            await self.retry.run(self._attempt, batch)
        except ConsumerError:
            counters.send_failed.inc(batch.item_count)
            raise
        except Exception as exc:  # a bug in send: count, log, refuse as ours
            counters.send_failed.inc(batch.item_count)
            self._log.exception("send failed unexpectedly")
            raise PermanentError(f"exporter {self.settings.id}: {exc!r}") from exc
        counters.sent.inc(batch.item_count)

    async def _send_queued(self, batch: Batch) -> None:
        """Send one dequeued batch with retries; failures are counted and logged, never raised."""
        counters = self._counters[batch.signal]
        try:
            await self.retry.run(self._attempt, batch)
        except ConsumerError as exc:
            self._failed(batch, counters, exc)
            return
        except Exception as exc:  # noqa: BLE001 - a bug in send must not kill the worker
            self._log.exception("send failed unexpectedly")
            self._failed(batch, counters, exc)
            return
        counters.sent.inc(batch.item_count)

    def _failed(self, batch: Batch, counters: SignalCounters, exc: Exception) -> None:
        n = batch.item_count
        counters.send_failed.inc(n)
        if self._stopping:
            self.dropped_at_shutdown[batch.signal] += n
        self._failed_log.log("exporting failed, dropping %d %s: %s", n,
                             SPECS[batch.signal].item_name, exc)

    async def _worker(self, slot: int) -> None:
        queue = self._queue
        assert queue is not None
        in_flight = self._in_flight
        while (batch := await queue.get()) is not None:
            in_flight[slot] = batch
            await self._send_queued(batch)
            in_flight[slot] = None

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self, host: Host) -> None:
        """Start the queue's worker tasks (no-op without a queue, or when already started).

        With a persistent queue, open it first: raises ComponentStartError when the
        storage extension is missing or its directory unusable.
        """
        if self._persistent is not None and not self._stopping:
            await self._persistent.start(host)
            return
        if self._queue is None or self._workers or self._stopping:
            return
        loop = asyncio.get_running_loop()
        self._in_flight = [None] * self._num_consumers
        self._workers = [
            loop.create_task(self._worker(i), name=f"{self.settings.id} sender {i}")
            for i in range(self._num_consumers)
        ]

    async def shutdown(self, drain_timeout: float | None = None) -> None:
        """Stop accepting, drain for at most ``drain_timeout`` s (default: the one given at
        creation), then cancel the workers; drops are logged and counted. Idempotent."""
        if self._stopping:
            return
        self._stopping = True
        self.retry.stop()
        timeout = self.drain_timeout if drain_timeout is None else drain_timeout
        if self._persistent is not None:
            await self._persistent.close(timeout)
            return
        queue = self._queue
        if queue is None:
            return
        if self._batcher is not None:
            await self._batcher.close()
        queue.close()
        if self._workers:
            _, pending = await asyncio.wait(self._workers, timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            self._workers = []
        abandoned = [b for b in self._in_flight if b is not None] + queue.take_all()
        self._in_flight = []
        for batch in abandoned:
            n = batch.item_count
            self._counters[batch.signal].send_failed.inc(n)
            self.dropped_at_shutdown[batch.signal] += n
        self._report_shutdown(timeout)

    def _report_shutdown(self, timeout: float) -> None:
        dropped = {s: n for s, n in self.dropped_at_shutdown.items() if n}
        if not dropped:
            self._log.debug("sending queue drained")
            return
        what = ", ".join(f"{n} {SPECS[s].item_name}" for s, n in sorted(dropped.items()))
        self._log.warning("shutdown dropped %s (not delivered while draining; "
                          "drain_timeout %gs)", what, timeout)
