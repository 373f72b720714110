"""The file_storage extension: hands out durable logs kept under one directory.

``start`` checks (or creates, with ``create_directory``) the directory.
:meth:`FileStorageExtension.open_log` opens ``<directory>/<component id>/<name>/``
(``/`` in a component ID written ``%2F``) as a :class:`~otelpy.storage.DurableLog`
with this extension's fsync policy and segment size. Damaged records found there are
skipped, counted in ``otelpy_storage_corrupt_records_total{storage,queue}`` and logged;
they never stop the start. A failed fdatasync of a log (under ``interval``: acknowledged
records that may not be on stable storage) is counted in
``otelpy_storage_fsync_failures_total{storage,queue}`` and logged. ``shutdown`` closes
any log its user left open.
"""

from __future__ import annotations

import asyncio
import functools
import os
from pathlib import Path

from otelpy.component import ComponentBase, Host, Settings
from otelpy.errors import ComponentStartError
from otelpy.extensions.file_storage.config import FileStorageConfig
from otelpy.storage import DirectoryLock, DurableLog, StorageError, log_directory

IN_PROCESS_WAIT = 60.0  # longest wait for the component being replaced to let go of a log


class FileStorageExtension(ComponentBase):
    """Durable logs under ``directory``; implements :class:`~otelpy.storage.LogStorage`."""

    def __init__(self, settings: Settings, cfg: FileStorageConfig) -> None:
        self._id = str(settings.id)
        self._log = settings.logger
        self._cfg = cfg
        self._options = cfg.log_options()
        self.directory = Path(cfg.directory).expanduser()
        self._corrupt = settings.telemetry.counter(
            "otelpy_storage_corrupt_records",
            "Records found damaged in a storage log (bad checksum, torn tail, unreadable "
            "bytes) and skipped", ["storage", "queue"])
        self._fsync_failed = settings.telemetry.counter(
            "otelpy_storage_fsync_failures",
            "fdatasync calls on a storage log's segment files that failed (the records "
            "they covered may not be on stable storage)", ["storage", "queue"])
        self._open: list[DurableLog] = []
        self._started = False

    async def start(self, host: Host) -> None:
        """Check the directory (creating it with ``create_directory``).

        Raises ComponentStartError when it is missing, not a directory or not writable.
        """
        if self._started:
            return
        try:
            await asyncio.to_thread(self._prepare)
        except OSError as exc:
            raise ComponentStartError(f"directory {self.directory}: {exc}") from exc
        self._started = True
        self._log.info("storing in %s (fsync policy %s)", self.directory,
                       self._options.fsync_policy)

    def _prepare(self) -> None:
        path = self.directory
        if not path.exists():
            if not self._cfg.create_directory:
                raise FileNotFoundError("does not exist (set create_directory: true to "
                                        "create it)")
            path.mkdir(parents=True, mode=int(self._cfg.directory_permissions, 8))
        if not path.is_dir():
            raise NotADirectoryError("is not a directory")
        if not os.access(path, os.W_OK | os.X_OK):
            raise PermissionError("is not writable")

    def in_use_here(self, owner: str, name: str) -> bool:
        """True while a log of this process holds ``owner``'s log ``name``."""
        return DirectoryLock.held_here(log_directory(self.directory, owner, name))

    async def open_log(self, owner: str, name: str) -> DurableLog:
        """Open ``owner``'s log ``name``; waits (up to a minute) while another component of
        this process holds it (see :meth:`in_use_here`). Raises StorageError when not started,
        StorageLocked when another process holds it, OSError when unusable."""
        if not self._started:
            raise StorageError(f"extension {self._id} is not started")
        path = log_directory(self.directory, owner, name)
        # released from another component's thread during a reload: no event to wait on
        deadline = asyncio.get_running_loop().time() + IN_PROCESS_WAIT
        while DirectoryLock.held_here(path):  # noqa: ASYNC110
            if asyncio.get_running_loop().time() > deadline:
                break  # the open below fails with StorageLocked after `timeout`
            await asyncio.sleep(0.05)
        queue = f"{owner}/{name}"
        log = await DurableLog.open(path, self._options,
                                    functools.partial(self._corrupted, queue),
                                    functools.partial(self._sync_failed, queue))
        self._open = [lg for lg in self._open if not lg.closed] + [log]
        return log

    def _corrupted(self, queue: str, count: int, message: str) -> None:
        self._corrupt.labels(storage=self._id, queue=queue).inc(count)
        self._log.error("%d damaged record(s) skipped in queue %s: %s", count, queue, message)

    def _sync_failed(self, queue: str, count: int, message: str) -> None:
        self._fsync_failed.labels(storage=self._id, queue=queue).inc(count)
        self._log.error("queue %s: %s", queue, message)

    async def shutdown(self) -> None:
        """Close every log its user left open. Idempotent."""
        logs, self._open = self._open, []
        for log in logs:
            try:
                await log.close()
            except OSError as exc:
                self._log.error("closing %s failed: %s", log.directory, exc)
        self._started = False
