"""A component's latest state in a storage extension: each :meth:`Checkpoint.save` appends
the whole state as one record of a :class:`~otelpy.storage.DurableLog` and acknowledges the
ones before it (so their segments get deleted); :attr:`Checkpoint.latest` is the last
record found at open.

A save is durable per the extension's fsync policy when it returns (``batch``: fsynced;
``interval`` / ``never``: written, so it survives kill -9). A torn or damaged last record
(a crash in the middle of a write) is skipped by the log's recovery: the one before it is
then the latest.
"""

from __future__ import annotations

from otelpy.storage.api import LogStorage
from otelpy.storage.errors import CorruptRecord
from otelpy.storage.log import DurableLog

__all__ = ["Checkpoint"]


class Checkpoint:
    """Open with :meth:`open`; :meth:`save` replaces the state; :meth:`close` at shutdown."""

    def __init__(self, log: DurableLog, latest: bytes | None, last_seq: int | None) -> None:
        self._log = log
        self.latest = latest
        self._last_seq = last_seq

    @classmethod
    async def open(cls, storage: LogStorage, owner: str, name: str) -> Checkpoint:
        """Open ``owner``'s checkpoint ``name``. Raises StorageLocked, StorageError, OSError."""
        log = await storage.open_log(owner, name)
        latest: bytes | None = None
        last_seq: int | None = None
        for ref in reversed(log.recovery.records):
            try:
                latest = await log.read(ref)
            except (CorruptRecord, OSError):
                continue  # counted by the log's corruption handler: try the one before
            last_seq = ref.seq
            break
        for ref in log.recovery.records:
            if ref.seq != last_seq:
                log.ack(ref.seq)
        return cls(log, latest, last_seq)

    async def save(self, state: bytes) -> None:
        """Make ``state`` the latest. Raises LogClosed, AppendFailed."""
        ref = await self._log.append([state], 0, lambda _ref: None)
        if self._last_seq is not None:
            self._log.ack(self._last_seq)
        self._last_seq = ref.seq
        self.latest = state

    async def close(self) -> None:
        await self._log.close()
