"""AckBook: which records of an open log are acknowledged or handed to a sender, on disk.

Every change is saved at once, on the event loop, as one 16-byte ``write()`` to the
current journal (``ack-<generation>.jnl``, see :mod:`otelpy.storage.ackfile`), without
fsync: it reaches the page cache before :meth:`AckBook.ack` or
:meth:`AckBook.mark_dispatched` returns, so it survives kill -9 (after a power loss an
older state only means more duplicates, never a loss). Now and then (every
``JOURNAL_LIMIT`` bytes of journal, and whenever a segment holds only acknowledged
records) the whole state is written as a new snapshot by the log's reader thread, which
then deletes the journals and segments it covers; the last snapshot, at close, is
fsynced unless the fsync policy is ``never``. When the journal cannot be written (disk
full), every change schedules a snapshot instead until a journal can be opened again.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

from otelpy.storage.ackfile import (
    EV_ACK,
    EV_DISPATCH,
    EV_UNDISPATCH,
    AckState,
    encode_event,
    journal_name,
    save_ack,
)
from otelpy.storage.records import RecordRef, segment_name
from otelpy.storage.segments import Recovery, SegmentInfo, SegmentReader

__all__ = ["AckBook", "Prepared", "prepare", "JOURNAL_LIMIT"]

log = logging.getLogger("otelpy.storage")
JOURNAL_LIMIT = 64 * 1024  # bytes of journal (4,096 events) before the next snapshot
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC


@dataclass
class Prepared:
    """What :func:`prepare` did at open: the journal to append to (-1: none could be
    created) and anything that failed on the way (logged as warnings by the log)."""

    journal_fd: int
    warnings: list[str] = field(default_factory=list)


def prepare(directory: Path, recovery: Recovery) -> Prepared:
    """At open, in the opening thread: save the recovered state as a snapshot of a new
    generation (nothing handed to a sender yet), delete the journals and the segments
    it covers, and create the new generation's journal. Never raises: a failure leaves
    the older files in place (more duplicates at worst) and is reported in ``warnings``."""
    out = Prepared(-1)
    state = initial_state(recovery)
    try:
        save_ack(directory, state, sync=False)
    except OSError as exc:
        out.warnings.append(f"saving the acknowledgement state of {directory} failed: {exc}")
    else:
        keep = []
        for seg in recovery.segments:
            if seg.last < state.pointer:
                try:
                    seg.path.unlink(missing_ok=True)
                    continue
                except OSError as exc:
                    out.warnings.append(f"deleting {seg.path} failed: {exc}")
            keep.append(seg)
        recovery.segments[:] = keep
    try:
        out.journal_fd = os.open(directory / journal_name(recovery.generation), _FLAGS, 0o640)
    except OSError as exc:
        out.warnings.append(f"creating the acknowledgement journal in {directory} failed: "
                            f"{exc}; saving snapshots instead")
    return out


def initial_state(recovery: Recovery) -> AckState:
    """The recovered state as of this open: nothing handed to a sender yet."""
    pointer = recovery.records[0].seq if recovery.records else recovery.next_seq
    acked = frozenset(s for s in recovery.state.acked if pointer <= s < recovery.next_seq)
    return AckState(pointer, acked, frozenset(), 0, recovery.generation)


class AckBook:
    """The acknowledgement state of one open log (event loop side)."""

    def __init__(self, directory: Path, recovery: Recovery, journal_fd: int,
                 reader: SegmentReader, reader_ex: Executor) -> None:
        self.directory = directory
        self._loop = asyncio.get_running_loop()
        self._reader, self._reader_ex = reader, reader_ex
        self._unacked: deque[int] = deque(r.seq for r in recovery.records)
        self._next_seq = recovery.next_seq
        self._acked: set[int] = set(initial_state(recovery).acked)
        self._dispatched: set[int] = set()
        self._segments: deque[SegmentInfo] = deque(recovery.segments)
        self._active = 0  # first seq of the segment being written (never deleted)
        self._to_delete: list[int] = []
        self._fd = journal_fd
        self._generation = recovery.generation
        self._journal_bytes = 0
        self._save_fut: asyncio.Future[None] | None = None
        self._save_wanted = False
        self._closed = False
        self._journal_failed = False

    # -- changes ------------------------------------------------------------------------
    def track(self, ref: RecordRef) -> None:
        """``ref`` was just appended."""
        self._unacked.append(ref.seq)
        self._next_seq = ref.seq + 1
        self._active = ref.segment
        segments = self._segments
        if segments and segments[-1].first == ref.segment:
            segments[-1].last = ref.seq
        else:
            segments.append(SegmentInfo(ref.segment, ref.seq,
                                        self.directory / segment_name(ref.segment)))

    def mark_dispatched(self, seq: int) -> None:
        """``seq`` is being handed to a sender; saved (kill -9 safe) when this returns."""
        self._dispatched.add(seq)
        self._journal(EV_DISPATCH, seq)

    def unmark_dispatched(self, seq: int) -> None:
        """Every send of ``seq`` since the open certainly did not reach the destination:
        undo :meth:`mark_dispatched`; saved (kill -9 safe) when this returns. Nothing
        when ``seq`` is not marked (acknowledged, or never handed to a sender)."""
        if seq not in self._dispatched:
            return
        self._dispatched.discard(seq)
        self._journal(EV_UNDISPATCH, seq)

    def ack(self, seq: int) -> None:
        """``seq`` needs no more delivery; saved (kill -9 safe) when this returns. Its
        segment is deleted once every record in it is acknowledged."""
        self._acked.add(seq)
        self._dispatched.discard(seq)
        unacked, acked = self._unacked, self._acked
        while unacked and unacked[0] in acked:
            acked.discard(unacked.popleft())
        self._journal(EV_ACK, seq)
        segments = self._segments
        if (segments and segments[0].first != self._active
                and segments[0].last < self.pointer):
            self.snapshot()

    @property
    def pointer(self) -> int:
        """Every record below this sequence number is acknowledged."""
        return self._unacked[0] if self._unacked else self._next_seq

    @property
    def dispatched(self) -> frozenset[int]:
        """Records handed to a sender since the log was opened, not acknowledged."""
        return frozenset(self._dispatched)

    def _journal(self, kind: int, seq: int) -> None:
        if self._closed:
            return
        if self._fd < 0:
            self.snapshot()
            return
        try:
            os.write(self._fd, encode_event(kind, seq))
        except OSError as exc:
            self._journal_broken(exc)
            return
        self._journal_bytes += 16
        if self._journal_bytes >= JOURNAL_LIMIT:
            self.snapshot()

    def _journal_broken(self, exc: OSError) -> None:
        if not self._journal_failed:
            log.warning("writing the acknowledgement journal of %s failed: %s; saving "
                        "snapshots instead", self.directory, exc)
            self._journal_failed = True
        os.close(self._fd)
        self._fd = -1
        self.snapshot()

    # -- snapshots ----------------------------------------------------------------------
    def _state(self) -> AckState:
        pointer = self.pointer
        self._acked = {s for s in self._acked if s >= pointer}
        return AckState(pointer, frozenset(self._acked), frozenset(self._dispatched), 0,
                        self._generation)

    def _deletable(self) -> list[int]:
        pointer, out = self.pointer, []
        while (self._segments and self._segments[0].first != self._active
               and self._segments[0].last < pointer):
            out.append(self._segments.popleft().first)
        return out

    def snapshot(self) -> None:
        """Save the whole state soon (in the reader thread) and start a new journal."""
        if self._closed:
            return
        if self._save_fut is not None:
            self._save_wanted = True
            return
        self._start_save(sync=False)

    def _new_journal(self) -> None:
        """Switch to the next generation's journal (-1 when it cannot be created)."""
        self._generation += 1
        old, self._fd, self._journal_bytes = self._fd, -1, 0
        if old >= 0:
            os.close(old)
        try:
            self._fd = os.open(self.directory / journal_name(self._generation), _FLAGS, 0o640)
        except OSError as exc:
            if not self._journal_failed:
                log.warning("creating the acknowledgement journal of %s failed: %s; saving "
                            "snapshots instead", self.directory, exc)
                self._journal_failed = True
            return
        self._journal_failed = False

    def _start_save(self, sync: bool, journal: bool = True) -> asyncio.Future[None]:
        if journal:
            self._new_journal()
        else:
            self._generation += 1
        state = self._state()
        delete = self._to_delete + self._deletable()
        self._to_delete = []
        self._save_wanted = False
        fut = self._loop.run_in_executor(self._reader_ex, self._reader.save, state, delete,
                                         sync)
        self._save_fut = fut
        fut.add_done_callback(functools.partial(self._saved, delete))
        return fut

    def _saved(self, delete: Sequence[int], fut: asyncio.Future[None]) -> None:
        self._save_fut = None
        exc = None if fut.cancelled() else fut.exception()
        if exc is not None:
            self._to_delete.extend(delete)
            log.warning("saving the acknowledgement state of %s failed: %s", self.directory,
                        exc)
        if self._save_wanted and not self._closed:
            self._start_save(sync=False)

    async def close(self, sync: bool) -> None:
        """Save the final snapshot (fsynced with ``sync``) with every fully acknowledged
        segment deleted, and close the journal. Never raises (a failure is logged)."""
        if self._closed:
            return
        self._active = 0  # closed: a fully acknowledged last segment goes too
        while self._save_fut is not None:
            await asyncio.wait((self._save_fut,))
        self._closed = True
        fut = self._start_save(sync, journal=False)
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        await asyncio.wait((fut,))
