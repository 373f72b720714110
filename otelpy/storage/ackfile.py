"""The acknowledgement state of a log on disk: a snapshot plus the journals after it.

``ack``, the snapshot, replaced atomically (written to ``ack.tmp``, then renamed)::

    magic u32 0x4F54414B, version u32 = 2,
    pointer u64      every record below this sequence number is acknowledged
    generation u64   the journals that follow this snapshot: ``ack-<generation>.jnl`` on
    nacked u32, ndispatched u32,
    nacked x u64     records at or above ``pointer`` acknowledged out of order
    ndispatched x u64  records handed to a sender since the log was opened, not acknowledged
    crc u32          CRC-32 of everything before it

Version 1 (earlier otelpy releases) is still read: ``pointer u64, dispatched u64 (the
highest sequence number ever handed to a sender), count u32, count x u64 (acknowledged
out of order)``; every record up to ``dispatched`` then counts as handed to a sender.

``ack-<generation, 20 digits>.jnl``, the journals: 16-byte events appended with one
``write()`` each as they happen (``ACK seq`` = 1, ``DISPATCH seq`` = 2, ``UNDISPATCH seq``
= 3: every send of it since the open certainly did not reach the destination)::

    magic u16 0x4A41, kind u8, pad u8, seq u64, crc u32 (CRC-32 of the 12 bytes before)

Kind 3 came later: journals without it read as before. A release that does not know it
stops reading a journal at the first one (as if damaged): more records then count as
handed to a sender (possible duplicates), none is lost.

The state is the newest readable snapshot with every journal of its generation or later
replayed in order; a journal is read up to its first damaged event (what follows is
ignored: those records are delivered again, never lost).
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["AckState", "CorruptAckFile", "load_ack", "save_ack", "ACK_FILE",
           "EV_ACK", "EV_DISPATCH", "EV_UNDISPATCH", "encode_event", "journal_name",
           "list_journals", "replay_journals", "sync_directory", "truncate_damaged_journals"]

ACK_FILE = "ack"
_MAGIC = 0x4F54414B
_V1 = struct.Struct("<IIQQI")  # magic, version, pointer, dispatched high-water, count
_V2 = struct.Struct("<IIQQII")  # magic, version, pointer, generation, nacked, ndispatched
_CRC = struct.Struct("<I")
_EVENT = struct.Struct("<HBxQ")
_EVENT_MAGIC = 0x4A41
EVENT_SIZE = _EVENT.size + _CRC.size  # 16
EV_ACK, EV_DISPATCH, EV_UNDISPATCH = 1, 2, 3
_KINDS = (EV_ACK, EV_DISPATCH, EV_UNDISPATCH)
_JOURNAL_PREFIX, _JOURNAL_SUFFIX = "ack-", ".jnl"


class CorruptAckFile(Exception):
    """The ack file exists but does not hold a valid state."""


@dataclass(frozen=True)
class AckState:
    """What is acknowledged, and what was handed to a sender and is not."""

    pointer: int = 1
    acked: frozenset[int] = field(default_factory=frozenset)
    dispatched: frozenset[int] = field(default_factory=frozenset)
    dispatched_upto: int = 0  # version 1 files: every record up to this may have been sent
    generation: int = 0

    def is_acked(self, seq: int) -> bool:
        return seq < self.pointer or seq in self.acked

    def was_dispatched(self, seq: int) -> bool:
        """True when ``seq`` was handed to a sender and not acknowledged."""
        return not self.is_acked(seq) and (seq in self.dispatched or seq <= self.dispatched_upto)

    @property
    def top(self) -> int:
        """The highest sequence number the state names (0: none)."""
        return max(self.pointer - 1, self.dispatched_upto, max(self.acked, default=0),
                   max(self.dispatched, default=0))

    def encode(self) -> bytes:
        """Version 2 bytes (``dispatched_upto`` is not kept: resolve it into ``dispatched``)."""
        acked = sorted(s for s in self.acked if s >= self.pointer)
        sent = sorted(s for s in self.dispatched if s >= self.pointer and s not in self.acked)
        body = _V2.pack(_MAGIC, 2, self.pointer, self.generation, len(acked), len(sent))
        body += struct.pack(f"<{len(acked) + len(sent)}Q", *acked, *sent)
        return body + _CRC.pack(zlib.crc32(body))

    @classmethod
    def decode(cls, data: bytes) -> AckState:
        """Version 1 or 2 bytes. Raises CorruptAckFile when ``data`` is not a valid state."""
        if len(data) < _V1.size + _CRC.size:
            raise CorruptAckFile(f"ack file too short ({len(data)} bytes)")
        (crc,) = _CRC.unpack_from(data, len(data) - _CRC.size)
        body = data[:-_CRC.size]
        if zlib.crc32(body) != crc:
            raise CorruptAckFile("ack file checksum mismatch")
        magic, version = struct.unpack_from("<II", body)
        if magic == _MAGIC and version == 1:
            _, _, pointer, upto, count = _V1.unpack_from(body)
            if len(body) == _V1.size + 8 * count:
                acked = struct.unpack_from(f"<{count}Q", body, _V1.size)
                return cls(pointer, frozenset(acked), frozenset(), upto)
        elif magic == _MAGIC and version == 2 and len(body) >= _V2.size:
            _, _, pointer, generation, nacked, nsent = _V2.unpack_from(body)
            if len(body) == _V2.size + 8 * (nacked + nsent):
                seqs = struct.unpack_from(f"<{nacked + nsent}Q", body, _V2.size)
                return cls(pointer, frozenset(seqs[:nacked]), frozenset(seqs[nacked:]),
                           0, generation)
        raise CorruptAckFile("ack file has an unknown layout")

    def replay(self, events: Iterable[tuple[int, int]]) -> AckState:
        """This state with journal ``(kind, seq)`` events applied in order."""
        acked, sent = set(self.acked), set(self.dispatched)
        for kind, seq in events:
            if kind == EV_ACK:
                acked.add(seq)
                sent.discard(seq)
            elif kind == EV_UNDISPATCH:
                sent.discard(seq)
            elif seq not in acked:
                sent.add(seq)
        return AckState(self.pointer, frozenset(acked), frozenset(sent), self.dispatched_upto,
                        self.generation)


def encode_event(kind: int, seq: int) -> bytes:
    """One journal event (``EV_ACK``, ``EV_DISPATCH`` or ``EV_UNDISPATCH``)."""
    head = _EVENT.pack(_EVENT_MAGIC, kind, seq)
    return head + _CRC.pack(zlib.crc32(head))


def journal_name(generation: int) -> str:
    return f"{_JOURNAL_PREFIX}{generation:020d}{_JOURNAL_SUFFIX}"


def list_journals(directory: Path) -> list[tuple[int, Path]]:
    """(generation, path) of every journal file in ``directory``, in order."""
    found = []
    for path in directory.glob(f"{_JOURNAL_PREFIX}*{_JOURNAL_SUFFIX}"):
        digits = path.name[len(_JOURNAL_PREFIX):-len(_JOURNAL_SUFFIX)]
        if digits.isdigit():
            found.append((int(digits), path))
    return sorted(found)


def _read_journal(path: Path) -> tuple[list[tuple[int, int]], str | None]:
    """The valid events of one journal, and what is wrong with the rest (None: nothing)."""
    data = path.read_bytes()
    events: list[tuple[int, int]] = []
    for pos in range(0, len(data) - len(data) % EVENT_SIZE, EVENT_SIZE):
        head = data[pos:pos + _EVENT.size]
        magic, kind, seq = _EVENT.unpack(head)
        (crc,) = _CRC.unpack_from(data, pos + _EVENT.size)
        if magic != _EVENT_MAGIC or kind not in _KINDS or zlib.crc32(head) != crc:
            return events, f"damaged event at offset {pos}, the rest ignored"
        events.append((kind, seq))
    if len(data) % EVENT_SIZE:
        return events, f"torn event at offset {len(data) - len(data) % EVENT_SIZE}"
    return events, None


def truncate_damaged_journals(directory: Path) -> list[str]:
    """Cut every journal back to its events before the first damaged one; returns what
    was done. Raises OSError."""
    done = []
    for _, path in list_journals(directory):
        events, problem = _read_journal(path)
        if problem is not None:
            os.truncate(path, len(events) * EVENT_SIZE)
            done.append(f"{path.name}: {problem}; cut to its {len(events)} valid events")
    return done


def replay_journals(directory: Path, state: AckState,
                    problems: list[str]) -> tuple[AckState, int]:
    """``state`` with every journal of its generation or later applied; returns it and the
    highest generation found (the state's own when none). Damage is described in
    ``problems``. Raises OSError when a journal cannot be read."""
    top = state.generation
    for generation, path in list_journals(directory):
        if generation < state.generation:
            continue
        events, problem = _read_journal(path)
        state = state.replay(events)
        top = generation
        if problem is not None:
            problems.append(f"{path.name}: {problem}")
    return state, top


def load_ack(directory: Path) -> AckState | None:
    """The snapshot saved in ``directory`` (journals not applied); None when there is none.

    Raises CorruptAckFile when it is damaged, OSError when unreadable.
    """
    try:
        data = (directory / ACK_FILE).read_bytes()
    except FileNotFoundError:
        return None
    return AckState.decode(data)


def save_ack(directory: Path, state: AckState, sync: bool) -> None:
    """Replace the snapshot atomically, then delete the journals it covers (older
    generations); with ``sync``, fsync the file and the directory.

    Raises OSError.
    """
    tmp = directory / (ACK_FILE + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    try:
        os.write(fd, state.encode())
        if sync:
            os.fdatasync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, directory / ACK_FILE)
    for generation, path in list_journals(directory):
        if generation < state.generation:
            path.unlink(missing_ok=True)
    if sync:
        sync_directory(directory)


def sync_directory(directory: Path) -> None:
    """fsync a directory so file creations, renames and deletions in it are durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
