"""The file work of a log, done in its threads: appending, syncing, reading, recovering.

:class:`SegmentWriter` owns the segment being written (one writer thread calls it);
:class:`SegmentReader` reads records back, saves the ack state and deletes
acknowledged segments (the other thread); :func:`recover` scans a directory at open.
Nothing here touches the event loop.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from otelpy.storage.ackfile import (
    ACK_FILE,
    AckState,
    CorruptAckFile,
    load_ack,
    replay_journals,
    save_ack,
    sync_directory,
)
from otelpy.storage.records import (
    HEADER_SIZE,
    RecordRef,
    encode_header,
    read_record,
    scan_segment,
    segment_first_seq,
    segment_name,
)

__all__ = ["SegmentWriter", "SegmentReader", "Recovery", "SegmentInfo", "recover",
           "list_segments"]

log = logging.getLogger("otelpy.storage")


@dataclass
class SegmentInfo:
    """A segment file the log knows: its first and last sequence numbers."""

    first: int
    last: int  # first - 1 while it holds no valid record
    path: Path


@dataclass
class Recovery:
    """What :func:`recover` found in a log directory."""

    records: list[RecordRef]  # unacknowledged, in order
    segments: list[SegmentInfo]
    state: AckState
    next_seq: int
    corrupt: list[tuple[int, str]] = field(default_factory=list)  # (records lost, why)
    had_ack_file: bool = True
    generation: int = 1  # of the acknowledgement journal to start (see ackfile.py)


def list_segments(directory: Path) -> list[tuple[int, Path]]:
    """(first seq, path) of every segment file in ``directory``, in order."""
    found = []
    for path in directory.iterdir():
        first = segment_first_seq(path)
        if first is not None:
            found.append((first, path))
    return sorted(found)


def _load_state(directory: Path, corrupt: list[tuple[int, str]]) -> tuple[AckState | None, int]:
    """The saved acknowledgement state (snapshot plus journals; None when neither exists)
    and the highest journal generation found. Damage goes to ``corrupt``: a damaged
    snapshot leaves only what the journals say, a damaged journal what comes before the
    damage (the records it no longer acknowledges are delivered again). Raises OSError."""
    try:
        saved = load_ack(directory)
    except CorruptAckFile as exc:
        corrupt.append((1, f"{directory / ACK_FILE}: {exc}; delivering every record not "
                           "acknowledged in a journal"))
        saved = None
    problems: list[str] = []
    state, top = replay_journals(directory, saved or AckState(pointer=0), problems)
    corrupt += [(1, f"{directory / p}; records it acknowledged are delivered again")
                for p in problems]
    if saved is None and top == 0:  # no snapshot, no journal
        return None, 0
    return state, top


def recover(directory: Path) -> Recovery:
    """Scan every segment in ``directory`` (checking every checksum) against its ack state.

    Damage never raises: it is reported in ``corrupt`` and skipped. Raises OSError
    when the directory or a file cannot be read.
    """
    corrupt: list[tuple[int, str]] = []
    saved, generation = _load_state(directory, corrupt)
    state = saved or AckState(pointer=0)
    (directory / (ACK_FILE + ".tmp")).unlink(missing_ok=True)
    records: list[RecordRef] = []
    segments: list[SegmentInfo] = []
    top = 0
    for first, path in list_segments(directory):
        top = max(top, first)  # a new segment never takes an existing file's name
        try:
            scan = scan_segment(path, first)
        except OSError as exc:  # unreadable: left in place for `otelpy storage check`
            corrupt.append((1, f"{path}: unreadable, skipped: {exc}"))
            continue
        if scan.corrupt:
            corrupt.append((scan.corrupt, f"{path}: " + "; ".join(scan.problems)))
        last = scan.records[-1].seq if scan.records else first - 1
        segments.append(SegmentInfo(first, last, path))
        for ref in scan.records:
            top = max(top, ref.seq)
            if not state.is_acked(ref.seq) and (not records or ref.seq > records[-1].seq):
                records.append(ref)
    next_seq = max(top + 1, state.top + 1, 1)
    return Recovery(records, segments, state, next_seq, corrupt, saved is not None,
                    generation + 1)


class SegmentWriter:
    """Appends records to the current segment, rotating at ``segment_size`` bytes.

    With ``durable`` (every policy but ``never``), a finished segment is fsynced before
    it is closed and a new segment's directory entry is fsynced when it is created.
    ``syncs`` and ``sync_failures`` count the fdatasync calls on segment data that
    succeeded and failed; ``sync_error`` is the last failure.
    """

    def __init__(self, directory: Path, next_seq: int, segment_size: int,
                 durable: bool) -> None:
        self.directory = directory
        self.next_seq = next_seq
        self.segment_size = segment_size
        self.durable = durable
        self.active = 0  # first seq of the segment being written (0: none yet)
        self._fd = -1
        self._size = 0
        self.syncs = 0
        self.sync_failures = 0
        self.sync_error: OSError | None = None

    def _fdatasync(self, fd: int) -> None:
        try:
            os.fdatasync(fd)
        except OSError as exc:
            self.sync_failures += 1
            self.sync_error = exc
            raise
        self.syncs += 1

    def _rotate(self) -> None:
        self._close_active()
        first = self.next_seq
        path = self.directory / segment_name(first)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        self._size = 0
        self.active = first
        if self.durable:
            sync_directory(self.directory)

    def _close_active(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            try:
                if self.durable:
                    self._fdatasync(fd)
            finally:
                os.close(fd)

    def append(self, payloads: Sequence[tuple[Sequence[bytes], int]],
               sync: bool) -> tuple[list[RecordRef | OSError], OSError | None]:
        """Write each ``(parts, meta)`` as one record; then fdatasync when ``sync``.

        Returns one RecordRef (written) or OSError (not written) per payload, and the
        error of the final sync, if it failed (the records are written, not durable).
        """
        results: list[RecordRef | OSError] = []
        for parts, meta in payloads:
            try:
                results.append(self._append_one(parts, meta))
            except OSError as exc:
                results.append(exc)
        sync_error = None
        if sync and self._fd >= 0:
            try:
                self._fdatasync(self._fd)
            except OSError as exc:
                sync_error = exc
        return results, sync_error

    def _append_one(self, parts: Sequence[bytes], meta: int) -> RecordRef:
        length = sum(len(p) for p in parts)
        if self._fd < 0 or (self._size and self._size + HEADER_SIZE + length
                            > self.segment_size):
            self._rotate()
        seq = self.next_seq
        header = encode_header(seq, parts, meta)
        start = self._size
        try:
            _write_all(self._fd, [header, *parts])
        except OSError:
            self._undo(start)
            raise
        self._size = start + HEADER_SIZE + length
        self.next_seq = seq + 1
        return RecordRef(seq, self.active, start + HEADER_SIZE, length, meta)

    def _undo(self, start: int) -> None:
        """Cut a failed write off the segment; if even that fails, start a new segment."""
        try:
            os.ftruncate(self._fd, start)
            os.lseek(self._fd, start, os.SEEK_SET)
        except OSError:
            log.warning("could not truncate a failed write in %s; continuing in a new "
                        "segment", self.directory / segment_name(self.active))
            fd, self._fd = self._fd, -1
            os.close(fd)

    def sync(self) -> None:
        """fdatasync the segment being written. Raises OSError."""
        if self._fd >= 0:
            self._fdatasync(self._fd)

    def close(self) -> None:
        """Sync (when durable) and close the segment being written. Raises OSError."""
        self._close_active()


def _write_all(fd: int, parts: list[bytes]) -> None:
    """writev until every byte of ``parts`` is written (a write may be short)."""
    views = [memoryview(p) for p in parts if p]
    while views:
        written = os.writev(fd, views)
        while views and written >= len(views[0]):
            written -= len(views[0])
            views.pop(0)
        if views and written:
            views[0] = views[0][written:]


class SegmentReader:
    """Reads records back, saves ack states and deletes segments (one thread)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._fds: dict[int, int] = {}

    def read(self, ref: RecordRef) -> bytes:
        """The payload of ``ref``. Raises CorruptRecord, OSError."""
        fd = self._fds.get(ref.segment)
        if fd is None:
            fd = os.open(self.directory / segment_name(ref.segment), os.O_RDONLY)
            self._fds[ref.segment] = fd
        return read_record(fd, ref)

    def save(self, state: AckState, delete: Sequence[int], sync: bool) -> None:
        """Write ``state`` as the new snapshot (deleting the journals it covers), then
        delete the segments named by their first seqs.

        Raises OSError (the state is then not saved, or some segment not deleted).
        """
        save_ack(self.directory, state, sync)
        for first in delete:
            fd = self._fds.pop(first, -1)
            if fd >= 0:
                os.close(fd)
            (self.directory / segment_name(first)).unlink(missing_ok=True)

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
