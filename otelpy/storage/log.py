"""DurableLog: an append-only log of records on disk, driven from the event loop.

Appends are group-committed by one writer thread; an append returns once its record
is as durable as the fsync policy promises:

* ``batch``: after an fdatasync that covers it (concurrent appends share one);
* ``interval``: after ``write()``, like ``never``, and a periodic fdatasync (at most
  one per ``fsync_interval``; the first after an idle period starts at once) follows:
  kill -9 loses nothing; a power loss or kernel crash loses at most the appends of the
  last ``fsync_interval``;
* ``never``: after ``write()``: in the page cache, so it survives the process being
  killed (kill -9, OOM kill) but not a power loss or kernel crash.

A failed fdatasync is reported to the log's sync-failure handler (counted and logged by
the file_storage extension); under ``batch`` the appends it covered fail as well.

Every record gets a sequence number. :meth:`DurableLog.ack` marks one delivered and
:meth:`DurableLog.mark_dispatched` one handed to a sender; each is saved before it
returns (a small write to a journal, no fsync: it survives kill -9; after a power loss
an older state only means more duplicates), the whole state now and then and at close
with fsync (:mod:`otelpy.storage.acks`). A segment whose records are all acknowledged
is deleted. A restart thus knows which recovered records were handed to a sender and
may have reached the destination already (``recovery.state.was_dispatched``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from otelpy.storage.acks import AckBook, Prepared, prepare
from otelpy.storage.errors import AppendFailed, CorruptRecord, LogClosed, StorageError
from otelpy.storage.lock import DirectoryLock
from otelpy.storage.records import RecordRef
from otelpy.storage.segments import Recovery, SegmentReader, SegmentWriter, recover

__all__ = ["DurableLog", "FsyncPolicy", "LogOptions", "StorageError", "LogClosed",
           "AppendFailed", "CorruptRecord", "CorruptHandler", "SyncFailureHandler"]

log = logging.getLogger("otelpy.storage")
T = TypeVar("T")
CorruptHandler = Callable[[int, str], None]  # (records lost, what happened)
SyncFailureHandler = Callable[[int, str], None]  # (failed fdatasyncs, what happened)
_GroupResult = tuple[list[RecordRef | OSError], OSError | None]


class FsyncPolicy(StrEnum):
    BATCH = "batch"
    INTERVAL = "interval"
    NEVER = "never"


@dataclass(frozen=True)
class LogOptions:
    fsync_policy: FsyncPolicy = FsyncPolicy.BATCH
    fsync_interval: float = 1.0
    segment_size: int = 16 * 1024 * 1024
    lock_timeout: float = 1.0


@dataclass
class _Append:
    parts: Sequence[bytes]
    meta: int
    future: asyncio.Future[RecordRef]
    on_written: Callable[[RecordRef | None], None]


class DurableLog:
    """One log directory, opened with :meth:`open`, closed with :meth:`close`."""

    def __init__(self, directory: Path, options: LogOptions, recovery: Recovery,
                 journal_fd: int, lock: DirectoryLock, writer_ex: ThreadPoolExecutor,
                 on_corrupt: CorruptHandler,
                 on_sync_failure: SyncFailureHandler | None = None) -> None:
        self.directory = directory
        self.options = options
        self.recovery = recovery
        self._loop = asyncio.get_running_loop()
        self._lock = lock
        self._on_corrupt = on_corrupt
        self._on_sync_failure = on_sync_failure or _log_sync_failure
        self._sync_failures_seen = 0
        self._syncs = 0  # the writer's count, as of its last job seen on the loop
        policy = options.fsync_policy
        self._writer = SegmentWriter(directory, recovery.next_seq, options.segment_size,
                                     durable=policy is not FsyncPolicy.NEVER)
        self._writer_ex = writer_ex
        self._reader = SegmentReader(directory)
        self._reader_ex = ThreadPoolExecutor(1, thread_name_prefix="otelpy-log-reader")
        self._pending: list[_Append] = []
        self._write_fut: asyncio.Future[_GroupResult] | None = None
        self._unsynced = 0  # appends acknowledged under `interval`, not yet fdatasynced
        self._sync_wanted = asyncio.Event()
        self._sync_task: asyncio.Task[None] | None = None
        self._last_sync = float("-inf")
        self._acks = AckBook(directory, recovery, journal_fd, self._reader, self._reader_ex)
        self._closing = False
        if policy is FsyncPolicy.INTERVAL:
            self._sync_task = self._loop.create_task(self._sync_loop(),
                                                     name=f"fsync {directory}")

    @classmethod
    async def open(cls, directory: Path, options: LogOptions,
                   on_corrupt: CorruptHandler,
                   on_sync_failure: SyncFailureHandler | None = None) -> DurableLog:
        """Lock ``directory`` (created if missing), scan it, and return the open log.

        Damaged records are reported to ``on_corrupt`` and skipped. Each failed fdatasync
        of segment data is reported to ``on_sync_failure`` (default: logged at ERROR).
        Raises StorageLocked when another process holds the directory, OSError when it
        is not usable.
        """
        loop = asyncio.get_running_loop()
        writer_ex = ThreadPoolExecutor(1, thread_name_prefix="otelpy-log-writer")
        lock = DirectoryLock(directory)
        fut = loop.run_in_executor(writer_ex, _open_sync, directory, lock, options)
        try:
            recovery, prepared = await asyncio.shield(fut)
        except asyncio.CancelledError:  # the thread goes on: let go of what it takes
            fut.add_done_callback(functools.partial(_abandon, lock, writer_ex))
            raise
        except BaseException:
            writer_ex.shutdown(wait=False)
            raise
        for count, message in recovery.corrupt:
            on_corrupt(count, message)
        for message in prepared.warnings:
            log.warning("%s", message)
        return cls(directory, options, recovery, prepared.journal_fd, lock, writer_ex,
                   on_corrupt, on_sync_failure)

    # -- appending ----------------------------------------------------------------------
    async def append(self, parts: Sequence[bytes], meta: int,
                     on_written: Callable[[RecordRef | None], None]) -> RecordRef:
        """Append one record (the concatenation of ``parts``); return once it is durable
        per the fsync policy (under ``interval`` and ``never``: once written).
        ``on_written`` is called on the loop as soon as the write is done (before the
        append returns) with the record, or with None when it was not written: also when
        the caller was cancelled meanwhile.

        Raises LogClosed, AppendFailed.
        """
        if self._closing:
            raise LogClosed(f"log {self.directory} is closed")
        fut: asyncio.Future[RecordRef] = self._loop.create_future()
        self._pending.append(_Append(parts, meta, fut, on_written))
        self._kick()
        return await fut

    def _kick(self) -> None:
        if self._write_fut is not None or not self._pending:
            return
        group, self._pending = self._pending, []
        sync = self.options.fsync_policy is FsyncPolicy.BATCH
        fut = self._loop.run_in_executor(self._writer_ex, self._writer.append,
                                         [(a.parts, a.meta) for a in group], sync)
        self._write_fut = fut
        fut.add_done_callback(functools.partial(self._written, group))

    def _written(self, group: list[_Append], fut: asyncio.Future[_GroupResult]) -> None:
        self._write_fut = None
        try:
            results, sync_error = fut.result()
        except OSError as exc:  # the thread itself failed before writing anything
            results, sync_error = [exc] * len(group), None
        interval = self.options.fsync_policy is FsyncPolicy.INTERVAL
        for item, res in zip(group, results, strict=True):
            if isinstance(res, OSError):
                item.on_written(None)
                _fail(item.future, AppendFailed(f"write to {self.directory} failed: {res}",
                                                written=False))
                continue
            self._acks.track(res)
            item.on_written(res)
            if sync_error is not None:
                _fail(item.future, AppendFailed(f"fsync of {self.directory} failed: "
                                                f"{sync_error}", written=True))
                continue
            if interval:  # acknowledged once written; the periodic fdatasync follows
                self._unsynced += 1
                self._sync_wanted.set()
            if not item.future.done():
                item.future.set_result(res)
        self._writer_done()  # also a rotation's fdatasync of the last segment
        self._kick()

    async def _sync_loop(self) -> None:
        """``interval`` policy: one fdatasync at most every ``fsync_interval`` while
        there are unsynced appends; each covers the appends written before it."""
        interval = self.options.fsync_interval
        while True:
            await self._sync_wanted.wait()
            delay = self._last_sync + interval - self._loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self._sync_wanted.clear()
            self._last_sync = self._loop.time()
            await self._sync_now()

    async def _sync_now(self) -> None:
        count = self._unsynced
        if not count:
            return
        try:  # cancelled (closing): the final sync at close covers them
            await self._loop.run_in_executor(self._writer_ex, self._writer.sync)
        except OSError:  # the kernel may have dropped those pages: no retry can help
            self._writer_done(count)
        else:
            self._writer_done()
        self._unsynced -= count

    def _writer_done(self, unsynced: int = 0) -> None:
        """Take in the writer's sync count; report its fdatasync failures not reported
        yet (``unsynced``: acknowledged records the failure may have lost)."""
        self._syncs = self._writer.syncs
        failed = self._writer.sync_failures - self._sync_failures_seen
        if failed <= 0:
            return
        self._sync_failures_seen += failed
        what = f"fsync of {self.directory} failed: {self._writer.sync_error}"
        if unsynced:
            what += (f"; {unsynced} acknowledged record(s) may not be on stable storage "
                     "(lost on a power loss or kernel crash)")
        self._on_sync_failure(failed, what)

    @property
    def unsynced(self) -> int:
        """Appends acknowledged under ``interval`` not yet covered by an fdatasync."""
        return self._unsynced

    @property
    def syncs(self) -> int:
        """fdatasync calls on segment data that succeeded so far."""
        return self._syncs

    # -- reading and acknowledging ------------------------------------------------------
    async def read(self, ref: RecordRef) -> bytes:
        """The payload of ``ref``. A damaged record is reported to the corruption
        handler, then raised as CorruptRecord; raises OSError when unreadable."""
        try:
            return await self._loop.run_in_executor(self._reader_ex, self._reader.read, ref)
        except CorruptRecord as exc:
            self._on_corrupt(1, f"{self.directory}: {exc}")
            raise

    def mark_dispatched(self, seq: int) -> None:
        """Record that ``seq`` is being handed to a sender; saved when this returns."""
        self._acks.mark_dispatched(seq)

    def unmark_dispatched(self, seq: int) -> None:
        """Undo :meth:`mark_dispatched`: no send of ``seq`` reached the destination
        (one 16-byte journal write, saved when this returns)."""
        self._acks.unmark_dispatched(seq)

    def ack(self, seq: int) -> None:
        """``seq`` needs no more delivery; saved when this returns, its segment deleted
        once all its records are acknowledged."""
        self._acks.ack(seq)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` began."""
        return self._closing

    @property
    def pointer(self) -> int:
        """Every record below this sequence number is acknowledged."""
        return self._acks.pointer

    @property
    def dispatched(self) -> frozenset[int]:
        """Records handed to a sender since the log was opened, not acknowledged."""
        return self._acks.dispatched

    # -- closing ------------------------------------------------------------------------
    async def close(self) -> None:
        """Finish pending appends, fsync (unless the policy is ``never``), save the ack
        state with fsync, close the files and release the lock. Idempotent.

        Raises OSError when the final sync fails (also reported as a sync failure).
        """
        if self._closing:
            return
        self._closing = True
        while self._write_fut is not None:
            await asyncio.wait((self._write_fut,))
        if self._sync_task is not None:
            self._sync_task.cancel()
            await asyncio.gather(self._sync_task, return_exceptions=True)
        unsynced, self._unsynced = self._unsynced, 0
        try:
            await self._loop.run_in_executor(self._writer_ex, self._writer.close)
        except OSError:
            self._writer_done(unsynced)
            await self._release()
            raise
        self._writer_done()  # one a cancelled periodic sync may have left
        await self._release()

    async def _release(self) -> None:
        await self._acks.close(sync=self.options.fsync_policy is not FsyncPolicy.NEVER)
        await self._loop.run_in_executor(self._reader_ex, self._reader.close)
        await self._loop.run_in_executor(self._writer_ex, self._lock.release)
        self._reader_ex.shutdown(wait=False)
        self._writer_ex.shutdown(wait=False)


def _open_sync(directory: Path, lock: DirectoryLock,
               options: LogOptions) -> tuple[Recovery, Prepared]:
    directory.mkdir(parents=True, exist_ok=True, mode=0o750)
    lock.acquire(options.lock_timeout)
    try:
        recovery = recover(directory)
        return recovery, prepare(directory, recovery)
    except BaseException:
        lock.release()
        raise


def _abandon(lock: DirectoryLock, executor: ThreadPoolExecutor,
             fut: asyncio.Future[tuple[Recovery, Prepared]]) -> None:
    """An open was cancelled while its thread ran: release the lock it took and close
    the journal it opened, if any."""
    if not fut.cancelled() and fut.exception() is None:
        journal_fd = fut.result()[1].journal_fd
        if journal_fd >= 0:
            os.close(journal_fd)
        executor.submit(lock.release)
    executor.shutdown(wait=False)


def _log_sync_failure(failed: int, what: str) -> None:
    log.error("%s", what)


def _fail(fut: asyncio.Future[T], exc: BaseException) -> None:
    if not fut.done():
        fut.set_exception(exc)
