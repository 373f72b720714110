"""The batch processor: groups batches by item count and time, at the byte level.

``consume_*`` accepts a batch into a bounded buffer and returns at once (as the
Collector's batch processor does); one flusher task per processor sends
``Batch.merge(...)`` of the buffer downstream when the buffered items reach
``send_batch_size`` or when the oldest buffered batch is ``timeout`` old. With
``send_batch_max_size`` set, no sent batch holds more than that many items:
incoming batches are grouped whole (cut at their boundaries), and only a batch
larger than the maximum is split (``Batch.split``). Data is never decoded here.

Downstream refusals cannot reach the original sender any more: they are counted
(``otelcol_processor_dropped_<items>``) and logged, rate-limited.

Backpressure: when ``pending_limit`` items are buffered, ``consume_*`` waits
(the batch is not yet accepted) until the flusher takes the buffer for the next
export. At most about ``pending_limit`` items wait in the buffer, plus the one
export in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from enum import Enum

from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Capabilities, Consumer
from otelpy.errors import ConsumerError
from otelpy.pdata import Batch, ClientMetadata
from otelpy.processors.batch.config import BatchConfig

# the Collector's buckets for otelcol_processor_batch_batch_send_size(_bytes)
_SIZE_BUCKETS = (10, 25, 50, 75, 100, 250, 500, 750, 1000, 2000, 3000, 4000, 5000, 6000, 7000,
                 8000, 9000, 10000, 20000, 30000, 50000, 100000)
_BYTE_BUCKETS = (10, 25, 50, 75, 100, 250, 500, 750, 1000, 2000, 3000, 4000, 5000, 6000, 7000,
                 8000, 9000, 10000, 20000, 30000, 50000, 100_000, 200_000, 300_000, 400_000,
                 500_000, 600_000, 700_000, 800_000, 900_000, 1_000_000, 2_000_000, 3_000_000,
                 4_000_000, 5_000_000, 6_000_000, 7_000_000, 8_000_000, 9_000_000)

DEFAULT_SHUTDOWN_TIMEOUT = 5.0
_WARN_EVERY = 10.0  # seconds between two log lines about failed exports


class Trigger(Enum):
    """Why the flusher sends."""

    SIZE = "size"
    TIMEOUT = "timeout"
    SHUTDOWN = "shutdown"


def pending_limit(cfg: BatchConfig) -> int:
    """Items buffered before ``consume_*`` waits: 2 x max(send_batch_size,
    send_batch_max_size), or 2 x 8192 when both are 0."""
    return 2 * (max(cfg.send_batch_size, cfg.send_batch_max_size) or 8192)


class BatchProcessor(Consumer, ComponentBase):
    """One batch processor instance (one per pipeline it appears in)."""

    capabilities = Capabilities(mutates_data=False)

    def __init__(self, settings: Settings, cfg: BatchConfig, signal: Signal,
                 next_consumer: Consumer,
                 shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT) -> None:
        self._signal = signal
        self._id = str(settings.id)
        self._log = settings.logger
        self._forward: Callable[[Batch], Awaitable[None]] = getattr(
            next_consumer, f"consume_{signal.value}")
        self._timeout = cfg.timeout
        self._max_size = cfg.send_batch_max_size
        immediate = cfg.timeout == 0 or cfg.send_batch_size == 0
        self._threshold = 1 if immediate else cfg.send_batch_size
        self.pending_limit = pending_limit(cfg)
        self._shutdown_timeout = shutdown_timeout
        self._queue: deque[Batch] = deque()
        self._pending = 0  # items in _queue
        self._in_flight = 0  # items taken by the flusher and not yet sent
        self._first_at = 0.0  # monotonic time the oldest queued batch arrived
        self._wake = asyncio.Event()
        self._space = asyncio.Event()
        self._space.set()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._stopped = asyncio.Event()
        self._last_warn = float("-inf")
        self._unlogged_failures = 0
        # client metadata of what is sent: the shard's metadata_keys values, else none (as
        # the Collector, batching without metadata_keys drops client metadata)
        self.out_metadata: ClientMetadata | None = None
        self._init_metrics(settings)

    def _init_metrics(self, settings: Settings) -> None:
        tel, labels = settings.telemetry, {"processor": self._id}
        self._m_send_size = tel.histogram(
            "otelcol_processor_batch_batch_send_size",
            "Number of units in the batch", ["processor"], _SIZE_BUCKETS).labels(**labels)
        self._m_send_bytes = tel.histogram(
            "otelcol_processor_batch_batch_send_size_bytes",
            "Number of bytes in the batch that was sent", ["processor"],
            _BYTE_BUCKETS).labels(**labels)
        self._m_size_trigger = tel.counter(
            "otelcol_processor_batch_batch_size_trigger_send",
            "Number of times the batch was sent due to a size trigger",
            ["processor"]).labels(**labels)
        self._m_timeout_trigger = tel.counter(
            "otelcol_processor_batch_timeout_trigger_send",
            "Number of times the batch was sent due to a timeout trigger",
            ["processor"]).labels(**labels)
        self._m_dropped = tel.items(
            "otelcol_processor_dropped", self._signal,
            "Items dropped by the processor (the next consumer refused them)",
            ["processor"]).labels(**labels)

    # -- consumer ------------------------------------------------------------------------
    @property
    def pending_items(self) -> int:
        """Items buffered and not yet taken by the flusher."""
        return self._pending

    async def _accept(self, batch: Batch) -> None:
        """Buffer ``batch`` (waiting while the buffer is full); after shutdown began,
        hand it straight to the next consumer, whose refusal is then raised."""
        if await self._wait_for_space():
            self._enqueue(batch)
        else:
            await self._forward(batch)

    async def _wait_for_space(self) -> bool:
        """Wait while the buffer is full; False once shutdown began."""
        while self._pending >= self.pending_limit and not self._closing:
            await self._space.wait()
        return not self._closing

    def _enqueue(self, batch: Batch) -> None:
        """Append to the buffer and wake the flusher when a trigger is reached."""
        queue = self._queue
        if not queue:
            self._first_at = time.monotonic()
            self._wake.set()
        queue.append(batch)
        self._pending += batch.item_count
        if self._pending >= self._threshold:
            self._wake.set()
            if self._pending >= self.pending_limit:
                self._space.clear()

    async def consume_traces(self, batch: Batch) -> None:
        await self._accept(batch)

    async def consume_metrics(self, batch: Batch) -> None:
        await self._accept(batch)

    async def consume_logs(self, batch: Batch) -> None:
        await self._accept(batch)

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self, host: Host) -> None:
        if self._task is None and not self._closing:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"otelpy batch flusher {self._id}")

    async def shutdown(self) -> None:
        """Send what is buffered, within the shutdown timeout; what is still not sent
        then is counted as dropped. Idempotent; safe without start."""
        if self._closing:
            await self._stopped.wait()
            return
        self._closing = True
        self._space.set()
        self._wake.set()
        task = self._task
        if task is None:
            task = asyncio.get_running_loop().create_task(self._drain())
        try:
            await asyncio.wait_for(task, self._shutdown_timeout)  # cancels it on timeout
        except TimeoutError:
            self._abandon()
        finally:
            self._stopped.set()

    def _abandon(self) -> None:
        """Shutdown timed out: what is buffered or in flight is dropped, counted, logged."""
        lost = self._pending + self._in_flight
        self._m_dropped.inc(lost)
        self._log.error("shutdown timed out after %.1fs: %d items not sent (dropped)",
                        self._shutdown_timeout, lost)
        self._queue.clear()
        self._pending = self._in_flight = 0

    # -- flusher -------------------------------------------------------------------------
    async def _run(self) -> None:
        while (trigger := await self._next_trigger()) is not None:
            await self._flush(trigger)
        await self._drain()

    async def _drain(self) -> None:
        while self._queue:
            await self._flush(Trigger.SHUTDOWN)

    async def _next_trigger(self) -> Trigger | None:
        """Wait until the buffer reaches the size threshold (SIZE), the oldest batch
        is ``timeout`` old (TIMEOUT), or shutdown begins (None)."""
        while not self._closing:
            if self._queue and self._pending >= self._threshold:
                return Trigger.SIZE
            self._wake.clear()
            if not self._queue:
                await self._wake.wait()
                continue
            remaining = self._first_at + self._timeout - time.monotonic()
            if remaining <= 0:
                return Trigger.TIMEOUT
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._wake.wait()
        return None

    async def _flush(self, trigger: Trigger) -> None:
        """Take the buffer, plan what to send, put any remainder back, send."""
        batches = list(self._queue)
        self._queue.clear()
        total, self._pending = self._pending, 0
        out = self._plan(batches, total, trigger)
        self._in_flight = sum(b.item_count for b in out)
        if self._pending < self.pending_limit:
            self._space.set()
        for batch in out:
            await self._send(batch, trigger)
            self._in_flight -= batch.item_count

    def _plan(self, batches: list[Batch], total: int, trigger: Trigger) -> list[Batch]:
        """The batches to send now. With send_batch_max_size, incoming batches are grouped
        whole into batches of at most that size; under a size trigger, the groups left
        once the remainder is below the threshold go back to the front of the buffer."""
        if not self._max_size or total <= self._max_size:
            return [Batch.merge(self._signal, batches)]
        groups = self._group(batches)
        if trigger is Trigger.SIZE:
            left, i = total, 0
            while i < len(groups) and left >= self._threshold:
                left -= sum(b.item_count for b in groups[i])
                i += 1
            if i < len(groups):
                self._queue.extendleft(reversed([b for g in groups[i:] for b in g]))
                self._pending += left
                self._first_at = time.monotonic()
            groups = groups[:i]
        return [Batch.merge(self._signal, g) for g in groups]

    def _group(self, batches: list[Batch]) -> list[list[Batch]]:
        """Consecutive batches in groups of at most send_batch_max_size items, cut at
        batch boundaries; only a batch larger than the maximum is split (Batch.split)."""
        limit = self._max_size
        groups: list[list[Batch]] = []
        cur: list[Batch] = []
        cur_n = 0
        for batch in batches:
            n = batch.item_count
            pieces = [batch] if n <= limit else batch.split(limit)
            for piece in pieces:
                n = piece.item_count
                if cur and cur_n + n > limit:
                    groups.append(cur)
                    cur, cur_n = [], 0
                cur.append(piece)
                cur_n += n
        if cur:
            groups.append(cur)
        return groups

    def _observe(self, batch: Batch, trigger: Trigger) -> None:
        """Own metrics of one sent batch."""
        self._m_send_size.observe(batch.item_count)
        self._m_send_bytes.observe(batch.byte_size)
        if trigger is Trigger.SIZE:
            self._m_size_trigger.inc()
        elif trigger is Trigger.TIMEOUT:
            self._m_timeout_trigger.inc()

    async def _send(self, batch: Batch, trigger: Trigger) -> None:
        count = batch.item_count
        if batch.metadata != self.out_metadata:
            batch = batch.with_metadata(self.out_metadata)
        self._observe(batch, trigger)
        try:
            await self._forward(batch)
        except ConsumerError as exc:
            self._failed(count, exc)
        except Exception as exc:  # noqa: BLE001 - the flusher must outlive a downstream bug
            self._log.exception("next consumer raised unexpectedly; %d items dropped", count)
            self._failed(count, exc, logged=True)

    def _failed(self, count: int, exc: BaseException, logged: bool = False) -> None:
        """Count dropped items; log at most one line per _WARN_EVERY seconds."""
        self._m_dropped.inc(count)
        if logged:
            return
        self._unlogged_failures += 1
        now = time.monotonic()
        if now - self._last_warn < _WARN_EVERY:
            return
        self._log.warning("next consumer refused %d items (%s); %d failed sends since the "
                          "last report, all counted as dropped", count, exc,
                          self._unlogged_failures)
        self._last_warn, self._unlogged_failures = now, 0
