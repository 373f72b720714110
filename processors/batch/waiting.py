"""``wait_for_export: true``: the batch processor as a link of a durable pipeline.

The Collector's batch processor acknowledges its caller as soon as the data is
buffered, so a receiver answers its client before the data reached the exporter's
queue: a crash loses what the processor holds, whatever the queue promises. With
``wait_for_export``, ``consume_*`` returns only once the merged batch holding the
caller's data has been accepted by the next consumer (for a persistent queue: durably
enqueued), and a refusal from the next consumer is raised to the caller, who can have
its client retry.

The triggers are the same (``send_batch_size``, ``timeout``); a flush sends everything
buffered at once (a remainder is never held back: its callers are waiting), split by
``send_batch_max_size``, and several flushes may be exported concurrently (their
callers all wait; the memory held is bounded by what the callers hold anyway, plus the
buffer bound). Nothing is counted as dropped: every refusal reaches a caller.
"""

from __future__ import annotations

import asyncio

from otelpy.component import Settings, Signal
from otelpy.consumer import Consumer
from otelpy.errors import ConsumerError, PermanentError, RetryableError
from otelpy.pdata import Batch
from otelpy.processors.batch.config import BatchConfig
from otelpy.processors.batch.processor import DEFAULT_SHUTDOWN_TIMEOUT, BatchProcessor, Trigger

__all__ = ["WaitingBatchProcessor"]


class _Waiter:
    """One caller: resolved when every part of its batch was accepted, or the first refusal."""

    __slots__ = ("future", "parts", "error")

    def __init__(self, future: asyncio.Future[None]) -> None:
        self.future = future
        self.parts = 0
        self.error: BaseException | None = None

    def part_done(self, error: BaseException | None) -> None:
        self.parts -= 1
        if error is not None and self.error is None:
            self.error = error
        if self.parts <= 0 and not self.future.done():
            if self.error is not None:
                self.future.set_exception(self.error)
            else:
                self.future.set_result(None)


class WaitingBatchProcessor(BatchProcessor):
    """A batch processor whose ``consume_*`` waits for the export of the caller's data."""

    def __init__(self, settings: Settings, cfg: BatchConfig, signal: Signal,
                 next_consumer: Consumer,
                 shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT) -> None:
        super().__init__(settings, cfg, signal, next_consumer, shutdown_timeout)
        self._waiters: list[_Waiter] = []  # one per buffered batch, in order
        self._exports: set[asyncio.Task[None]] = set()

    async def _accept(self, batch: Batch) -> None:
        """Buffer ``batch`` and wait until the batch holding it was accepted downstream.

        Raises the next consumer's refusal (RetryableError / PermanentError).
        """
        if not await self._wait_for_space():
            await self._forward(batch)  # shutting down: straight through, refusal raised
            return
        waiter = _Waiter(asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        self._enqueue(batch)
        await waiter.future

    async def _flush(self, trigger: Trigger) -> None:
        """Take the whole buffer and start exporting it (in groups of at most
        send_batch_max_size items); returns without waiting for the exports."""
        batches, waiters = list(self._queue), self._waiters
        self._queue.clear()
        self._waiters = []
        self._pending = 0
        self._space.set()
        for pieces, owners in self._owned_groups(batches, waiters):
            for owner in owners:
                owner.parts += 1
            merged = Batch.merge(self._signal, pieces)
            task = asyncio.get_running_loop().create_task(
                self._export(merged, owners, trigger), name=f"otelpy batch export {self._id}")
            self._exports.add(task)
            task.add_done_callback(self._exports.discard)

    def _owned_groups(self, batches: list[Batch], waiters: list[_Waiter]
                      ) -> list[tuple[list[Batch], list[_Waiter]]]:
        """Groups of pieces of at most send_batch_max_size items, each with the callers
        whose data it holds (a caller's batch may be split over several groups)."""
        limit = self._max_size
        if not limit or sum(b.item_count for b in batches) <= limit:
            return [(batches, waiters)]
        groups: list[tuple[list[Batch], list[_Waiter]]] = []
        cur: list[Batch] = []
        owners: list[_Waiter] = []
        cur_n = 0
        for batch, waiter in zip(batches, waiters, strict=True):
            pieces = [batch] if batch.item_count <= limit else batch.split(limit)
            for piece in pieces:
                if cur and cur_n + piece.item_count > limit:
                    groups.append((cur, owners))
                    cur, owners, cur_n = [], [], 0
                cur.append(piece)
                cur_n += piece.item_count
                if not owners or owners[-1] is not waiter:
                    owners.append(waiter)
        if cur:
            groups.append((cur, owners))
        return groups

    async def _export(self, batch: Batch, owners: list[_Waiter], trigger: Trigger) -> None:
        self._observe(batch, trigger)
        error: BaseException | None = None
        try:
            await self._forward(batch)
        except ConsumerError as exc:
            error = exc
        except asyncio.CancelledError:
            error = RetryableError("the batch processor stopped before the export finished")
            raise
        except Exception as exc:  # noqa: BLE001 - a downstream bug is reported to the callers
            self._log.exception("next consumer raised unexpectedly")
            error = PermanentError(f"next consumer failed: {exc!r}")
        finally:
            for owner in owners:
                owner.part_done(error)

    async def shutdown(self) -> None:
        """As the base: flush and wait for the exports (within the shutdown timeout);
        callers still waiting after that are refused with a RetryableError."""
        await super().shutdown()
        if self._exports:
            await asyncio.gather(*self._exports, return_exceptions=True)

    async def _drain(self) -> None:
        await super()._drain()
        while self._exports:
            await asyncio.gather(*self._exports, return_exceptions=True)

    def _abandon(self) -> None:
        """Shutdown timed out: callers still waiting are refused (retryable), not dropped."""
        refusal = RetryableError("the batch processor stopped before the export finished")
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.parts = 0
            waiter.part_done(refusal)
        for task in self._exports:
            task.cancel()  # their callers are refused as the tasks end
        self._queue.clear()
        self._pending = 0
