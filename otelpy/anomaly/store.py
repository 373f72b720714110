"""Keeping a :class:`~otelpy.anomaly.series.SeriesTable` in a storage extension.

The state is one snapshot record in the component's log ``anomaly-state``: each save appends a
new snapshot and acknowledges the previous one (which the log then deletes), so the log holds
one or two snapshots. At start the newest readable snapshot is loaded. Saves run every
``save_interval`` (on ``settings.clock``) and at shutdown; the JSON encoding runs on the event
loop (~1 ms per series with the default method), the write in the log's own way.
"""

from __future__ import annotations

import asyncio
import contextlib

from otelpy.anomaly.series import SeriesTable, StateError
from otelpy.component import ComponentID, Host, Settings
from otelpy.errors import ComponentStartError
from otelpy.storage import LogStorage, StorageError
from otelpy.storage.log import DurableLog
from otelpy.storage.records import RecordRef

LOG_NAME = "anomaly-state"


class StateKeeper:
    """Loads the table at start, saves it periodically and at shutdown."""

    def __init__(self, settings: Settings, storage: str, interval: float,
                 table: SeriesTable) -> None:
        self._settings = settings
        self._storage = storage
        self._interval = interval
        self._table = table
        self._log: DurableLog | None = None
        self._snapshot: RecordRef | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, host: Host) -> None:
        if not self._storage:
            return
        sid = ComponentID.parse(self._storage)
        ext = host.extension(sid)
        if not isinstance(ext, LogStorage):
            what = "is not running" if ext is None else "is not a storage extension"
            raise ComponentStartError(f"storage: extension {sid} {what}")
        try:
            self._log = await ext.open_log(str(self._settings.id), LOG_NAME)
        except (OSError, StorageError) as exc:
            raise ComponentStartError(f"storage {sid}: {exc}") from exc
        await self._restore(self._log)
        self._task = asyncio.create_task(self._loop())

    async def _restore(self, log: DurableLog) -> None:
        refs = log.recovery.records
        for ref in reversed(refs):
            try:
                restored = self._table.load(await log.read(ref))
            except (StateError, StorageError, OSError) as exc:
                self._settings.logger.warning("saved anomaly state not restored: %s", exc)
                continue
            self._settings.logger.info("anomaly state restored: %d series", restored)
            break
        if refs:
            *older, self._snapshot = refs
            for ref in older:
                log.ack(ref.seq)

    async def _loop(self) -> None:
        while True:
            await self._settings.clock.sleep(self._interval)
            await self.save()

    async def save(self) -> None:
        log = self._log
        if log is None or log.closed:
            return
        try:
            ref = await log.append([self._table.dump()], 0, lambda _ref: None)
        except StorageError as exc:
            self._settings.logger.error("saving anomaly state failed: %s", exc)
            return
        if self._snapshot is not None:
            log.ack(self._snapshot.seq)
        self._snapshot = ref

    async def shutdown(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._log is not None:
            await self.save()
            log, self._log = self._log, None
            await log.close()
