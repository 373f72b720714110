"""PersistentQueues: the persistent sending queues of one exporter, one per signal.

Opened at start through the storage extension named by ``sending_queue.storage``.
When a queue's directory is still held by another component of this process (the
instance this one replaces during a config reload), start returns at once and the
queues open in the background as soon as it lets go; ``put`` waits for that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from otelpy.component import ComponentID, Host, Settings, Signal
from otelpy.errors import ComponentStartError, RetryableError
from otelpy.exporterhelper.config import QueueSettings
from otelpy.exporterhelper.metrics import SignalCounters
from otelpy.exporterhelper.persistent import PersistentQueue
from otelpy.exporterhelper.queue import QueueClosed
from otelpy.pdata import SPECS, Batch
from otelpy.storage import LogStorage, StorageError

__all__ = ["PersistentQueues"]


class PersistentQueues:
    """Open, feed and close the persistent queues of one exporter."""

    def __init__(self, settings: Settings, signals: Iterable[Signal], cfg: QueueSettings,
                 send: Callable[[Batch], Awaitable[None]],
                 counters: dict[Signal, SignalCounters], stopping: Callable[[], bool],
                 requeue: bool = True) -> None:
        assert cfg.storage is not None
        self.storage_id = ComponentID.parse(cfg.storage)
        self._settings = settings
        self._owner = str(settings.id)
        self._signals = sorted(signals)
        self._cfg = cfg
        self._send = send
        self._counters = counters
        self._stopping = stopping
        self._requeue = requeue
        self._log = settings.logger
        self._queues: dict[Signal, PersistentQueue] | None = None
        self._opening: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        """Batches not yet acknowledged, over every signal."""
        return sum(len(q) for q in (self._queues or {}).values())

    async def start(self, host: Host) -> None:
        """Open the queues (or start opening them, see the module doc) and their workers.

        Raises ComponentStartError naming what is wrong (no such extension, not a
        storage extension, directory locked by another process or unusable).
        """
        if self._opening is not None:
            return
        ext = host.extension(self.storage_id)
        if ext is None:
            raise ComponentStartError(
                f"sending_queue.storage: extension {self.storage_id} is not running (declare "
                f"it under extensions and list it in service::extensions)")
        if not isinstance(ext, LogStorage):
            raise ComponentStartError(
                f"sending_queue.storage: extension {self.storage_id} is not a storage "
                f"extension")
        task = asyncio.get_running_loop().create_task(
            self._open_all(ext), name=f"{self._owner} persistent queue open")
        self._opening = task
        if any(ext.in_use_here(self._owner, s.value) for s in self._signals):
            self._log.info("persistent queue still held by the instance being replaced; "
                           "it opens as soon as that one stops")
            task.add_done_callback(self._opened_late)
            return
        try:
            await asyncio.shield(task)
        except (OSError, StorageError) as exc:
            raise ComponentStartError(f"sending_queue.storage {self.storage_id}: {exc}") from exc

    async def _open_all(self, ext: LogStorage) -> None:
        telemetry, opened = self._settings.telemetry, {}
        try:
            for signal in self._signals:
                log = await ext.open_log(self._owner, signal.value)
                redelivered = telemetry.items(
                    "otelpy_exporter_queue_redelivered", signal,
                    "Items recovered from a persistent queue that had been handed to a "
                    "sender since the previous start and not acknowledged (sent again: "
                    "possible duplicates)",
                    ["exporter"]).labels(exporter=self._owner)
                opened[signal] = PersistentQueue(
                    log, signal, self._cfg.queue_size, self._cfg.max_bytes, self._send,
                    self._counters[signal], redelivered, self._log, self._stopping,
                    self._requeue)
        except BaseException:
            await asyncio.gather(*(q.close(0) for q in opened.values()))
            raise
        for q in opened.values():
            q.start(self._cfg.num_consumers, self._owner)
        self._queues = opened

    def _opened_late(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self._log.error("persistent queue could not be opened: %s", exc)

    async def put(self, batch: Batch, drop_newest: bool) -> bool:
        """Enqueue durably; False when dropped (full, ``drop_newest``).

        Raises QueueClosed when stopping, RetryableError when the queue is unavailable
        or the disk write failed.
        """
        queues = self._queues
        if queues is None:
            queues = await self._wait_open()
        queue = queues[batch.signal]
        return await (queue.offer(batch) if drop_newest else queue.put(batch))

    async def _wait_open(self) -> dict[Signal, PersistentQueue]:
        task = self._opening
        if task is None:
            raise RetryableError(f"exporter {self._owner} is not started")
        if not task.done():
            await asyncio.wait((task,))
        if task.cancelled():
            raise QueueClosed("queue is closed")
        exc = task.exception()
        if isinstance(exc, (OSError, StorageError)):
            raise RetryableError(f"persistent queue unavailable: {exc}")
        if exc is not None:
            raise exc
        assert self._queues is not None
        return self._queues

    async def close(self, grace: float) -> None:
        """Stop the workers and close every queue (what is left stays on disk); logs how
        many items wait for the next start. Idempotent."""
        task, self._opening = self._opening, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        queues, self._queues = self._queues or {}, None
        left = await asyncio.gather(*(q.close(grace) for q in queues.values()))
        kept = {s: n for s, n in zip(queues, left, strict=True) if n}
        if kept:
            what = ", ".join(f"{n} {SPECS[s].item_name}" for s, n in sorted(kept.items()))
            self._log.info("%s kept in the persistent queue on disk (sent once it is open again)",
                           what)
