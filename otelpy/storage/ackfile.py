"""The acknowledgement state of a log: which records no longer need delivering.

One small file, ``ack``, replaced atomically (written to ``ack.tmp``, then renamed)::

    magic u32 0x4F54414B, version u32 = 1,
    pointer u64      every record below this sequence number is acknowledged
    dispatched u64   the highest sequence number ever handed to a sender (0 = none)
    count u32, then count x u64: records at or above ``pointer`` acknowledged out of order
    crc u32          CRC-32 of everything before it
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["AckState", "CorruptAckFile", "load_ack", "save_ack", "ACK_FILE"]

ACK_FILE = "ack"
_MAGIC = 0x4F54414B
_HEAD = struct.Struct("<IIQQI")
_CRC = struct.Struct("<I")


class CorruptAckFile(Exception):
    """The ack file exists but does not hold a valid state."""


@dataclass(frozen=True)
class AckState:
    pointer: int = 1
    dispatched: int = 0
    acked: frozenset[int] = field(default_factory=frozenset)

    def is_acked(self, seq: int) -> bool:
        return seq < self.pointer or seq in self.acked

    def encode(self) -> bytes:
        acked = sorted(s for s in self.acked if s >= self.pointer)
        body = _HEAD.pack(_MAGIC, 1, self.pointer, self.dispatched, len(acked))
        body += struct.pack(f"<{len(acked)}Q", *acked)
        return body + _CRC.pack(zlib.crc32(body))

    @classmethod
    def decode(cls, data: bytes) -> AckState:
        """Raises CorruptAckFile when ``data`` is not a valid state."""
        if len(data) < _HEAD.size + _CRC.size:
            raise CorruptAckFile(f"ack file too short ({len(data)} bytes)")
        (crc,) = _CRC.unpack_from(data, len(data) - _CRC.size)
        body = data[:-_CRC.size]
        if zlib.crc32(body) != crc:
            raise CorruptAckFile("ack file checksum mismatch")
        magic, version, pointer, dispatched, count = _HEAD.unpack_from(body)
        if magic != _MAGIC or version != 1 or len(body) != _HEAD.size + 8 * count:
            raise CorruptAckFile("ack file has an unknown layout")
        acked = struct.unpack_from(f"<{count}Q", body, _HEAD.size)
        return cls(pointer, dispatched, frozenset(acked))


def load_ack(directory: Path) -> AckState | None:
    """The state saved in ``directory``; None when there is no ack file.

    Raises CorruptAckFile when it is damaged, OSError when unreadable.
    """
    try:
        data = (directory / ACK_FILE).read_bytes()
    except FileNotFoundError:
        return None
    return AckState.decode(data)


def save_ack(directory: Path, state: AckState, sync: bool) -> None:
    """Replace the ack file atomically; with ``sync``, fsync the file and the directory.

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
    if sync:
        sync_directory(directory)


def sync_directory(directory: Path) -> None:
    """fsync a directory so file creations, renames and deletions in it are durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
