"""A component's learned state kept as snapshots in a storage extension.

Components that learn (pattern miners, baselines, anomaly models) keep their state as one
snapshot record in a log of their own in a ``file_storage`` extension: each save appends a new
snapshot and acknowledges the previous one (which the log then deletes), so the log holds one
or two snapshots. At start the newest readable snapshot is loaded; a damaged one is logged,
counted by the caller through ``on_error`` and skipped for the one before it, and the
component starts afresh when none is readable. Saves run every ``interval`` seconds (on
``settings.clock``; 0 saves only at shutdown) when the state changed, and at shutdown.

The component supplies three callables: ``dump()`` -> bytes, ``load(bytes)`` -> a short
description for the log line (raising :class:`SnapshotError` on data it cannot read), and
``version()`` -> anything that changes when the state does (a counter of updates).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from otelpy.component import ComponentID, Host, Settings
from otelpy.errors import ComponentStartError
from otelpy.storage.api import LogStorage
from otelpy.storage.errors import StorageError
from otelpy.storage.log import DurableLog
from otelpy.storage.records import RecordRef

__all__ = ["SnapshotError", "SnapshotKeeper", "SnapshotState"]


class SnapshotError(ValueError):
    """Saved state that cannot be restored (damaged, or written by an incompatible version)."""


@dataclass(frozen=True)
class SnapshotState:
    """How to save and restore one component's state."""

    dump: Callable[[], bytes]
    load: Callable[[bytes], str]
    version: Callable[[], object]
    on_error: Callable[[], None] = lambda: None


class SnapshotKeeper:
    """Restores the state at start, saves it every ``interval`` and at shutdown."""

    def __init__(self, settings: Settings, storage: str | None, log_name: str,
                 interval: float, state: SnapshotState) -> None:
        self._settings = settings
        self._storage = ComponentID.parse(storage) if storage else None
        self._log_name = log_name
        self._interval = interval
        self._state = state
        self._log: DurableLog | None = None
        self._snapshot: RecordRef | None = None
        self._saved: object = None
        self._task: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        return self._storage is not None

    async def start(self, host: Host) -> None:
        """Open the log and restore the newest readable snapshot. Raises ComponentStartError
        when ``storage`` names no running storage extension or its directory is unusable."""
        if self._storage is None or self._log is not None:
            return
        ext = host.extension(self._storage)
        if not isinstance(ext, LogStorage):
            what = "is not running" if ext is None else "is not a storage extension"
            raise ComponentStartError(f"storage: extension {self._storage} {what} (declare "
                                      "it under extensions and list it in service::extensions)")
        try:
            self._log = await ext.open_log(str(self._settings.id), self._log_name)
        except (OSError, StorageError) as exc:
            raise ComponentStartError(f"storage {self._storage}: {exc}") from exc
        await self._restore(self._log)
        self._saved = self._state.version()
        if self._interval > 0:
            self._task = asyncio.get_running_loop().create_task(
                self._loop(), name=f"{self._settings.id} {self._log_name} snapshots")

    async def _restore(self, log: DurableLog) -> None:
        refs = log.recovery.records
        logger = self._settings.logger
        for ref in reversed(refs):
            try:
                what = self._state.load(await log.read(ref))
            except (SnapshotError, StorageError, OSError) as exc:
                self._state.on_error()
                logger.warning("saved %s not restored: %s", self._log_name, exc)
                continue
            logger.info("%s restored: %s", self._log_name, what)
            break
        if refs:
            *older, self._snapshot = refs
            for ref in older:
                log.ack(ref.seq)

    async def _loop(self) -> None:
        while True:
            await self._settings.clock.sleep(self._interval)
            await self.save()

    async def save(self) -> bool:
        """Write a snapshot when the state changed since the last one; True when written. A
        failed write is logged and counted (the previous snapshot stays)."""
        log = self._log
        version = self._state.version()
        if log is None or log.closed or version == self._saved:
            return False
        try:
            ref = await log.append([self._state.dump()], 0, lambda _ref: None)
        except StorageError as exc:
            self._state.on_error()
            self._settings.logger.error("saving %s failed: %s", self._log_name, exc)
            return False
        if self._snapshot is not None:
            log.ack(self._snapshot.seq)
        self._snapshot, self._saved = ref, version
        return True

    async def shutdown(self) -> None:
        """Stop the periodic saves, save once more and close the log; idempotent."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._log is not None:
            await self.save()
            log, self._log = self._log, None
            await log.close()
