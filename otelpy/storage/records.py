"""The on-disk format of one segment of a log: checksummed records, and scanning for them.

A segment file is a sequence of records, each a 28-byte header and a payload::

    magic   u32  0x4F545131
    seq     u64  the record's sequence number (strictly increasing within a log)
    length  u32  payload bytes
    meta    u32  a number the log's user keeps with the record (e.g. its item count)
    crc     u32  CRC-32 of the payload
    hcrc    u32  CRC-32 of the 24 header bytes before it

all little-endian. The header checksum lets a scan tell a damaged length from a
damaged payload: a record whose payload checksum fails is skipped by its (trusted)
length; after a damaged header the scan looks for the next valid header. A segment
ending inside a record (a crash in the middle of a write) has a *torn tail*.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from otelpy.storage.errors import CorruptRecord

__all__ = ["HEADER_SIZE", "RecordRef", "SegmentScan", "CorruptRecord", "encode_header",
           "scan_segment", "read_record", "segment_name", "segment_first_seq"]

MAGIC = 0x4F545131
_HEAD = struct.Struct("<IQIII")  # magic, seq, length, meta, crc
_HCRC = struct.Struct("<I")
HEADER_SIZE = _HEAD.size + _HCRC.size  # 28
_MAGIC_BYTES = struct.pack("<I", MAGIC)
SUFFIX = ".seg"


@dataclass(frozen=True)
class RecordRef:
    """Where one valid record lives: its payload starts at ``offset`` in segment ``segment``."""

    seq: int
    segment: int  # the segment's first sequence number (its name)
    offset: int
    length: int
    meta: int


@dataclass
class SegmentScan:
    """What a scan of one segment found."""

    path: Path
    size: int
    records: list[RecordRef] = field(default_factory=list)
    corrupt: int = 0  # records lost (bad checksum, unreadable bytes, torn tail)
    problems: list[str] = field(default_factory=list)
    valid_end: int = 0  # end of the last valid record
    torn_tail: bool = False


def segment_name(first_seq: int) -> str:
    return f"{first_seq:020d}{SUFFIX}"


def segment_first_seq(path: Path) -> int | None:
    """The first sequence number a segment file name announces, or None if not a segment."""
    if path.suffix != SUFFIX or not path.stem.isdigit():
        return None
    return int(path.stem)


def encode_header(seq: int, parts: Sequence[bytes], meta: int) -> bytes:
    """The header of a record whose payload is the concatenation of ``parts``."""
    crc = 0
    length = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
        length += len(part)
    head = _HEAD.pack(MAGIC, seq, length, meta, crc)
    return head + _HCRC.pack(zlib.crc32(head))


def _header_at(data: bytes | memoryview, pos: int) -> tuple[int, int, int, int] | None:
    """(seq, length, meta, crc) of a valid header at ``pos``, or None."""
    if len(data) - pos < HEADER_SIZE:
        return None
    head = bytes(data[pos:pos + _HEAD.size])
    magic, seq, length, meta, crc = _HEAD.unpack(head)
    if magic != MAGIC:
        return None
    (hcrc,) = _HCRC.unpack_from(data, pos + _HEAD.size)
    if zlib.crc32(head) != hcrc:
        return None
    return seq, length, meta, crc


def _next_header(data: bytes, start: int, after_seq: int) -> int | None:
    """Offset of the next valid header at or after ``start`` with seq > ``after_seq``."""
    pos = start
    while True:
        pos = data.find(_MAGIC_BYTES, pos)
        if pos < 0:
            return None
        found = _header_at(data, pos)
        if found is not None and found[0] > after_seq:
            return pos
        pos += 1


def scan_segment(path: Path, first_seq: int) -> SegmentScan:
    """Every valid record of the segment file at ``path``, and what is wrong with the rest.

    Reads the whole file. Raises OSError when it cannot be read.
    """
    data = path.read_bytes()
    scan = SegmentScan(path, len(data))
    pos, last_seq = 0, first_seq - 1
    view = memoryview(data)
    while pos < len(data):
        header = _header_at(data, pos)
        if header is None:
            if not _skip_damage(scan, data, pos, last_seq):
                break
            pos = _next_header(data, pos + 1, last_seq) or len(data)
            continue
        seq, length, meta, crc = header
        end = pos + HEADER_SIZE + length
        if end > len(data):
            scan.torn_tail = True
            scan.corrupt += 1
            scan.problems.append(f"torn tail at offset {pos}: record {seq} needs {length} "
                                 f"payload bytes, {len(data) - pos - HEADER_SIZE} present")
            break
        if zlib.crc32(view[pos + HEADER_SIZE:end]) != crc:
            scan.corrupt += 1
            scan.problems.append(f"bad checksum in record {seq} at offset {pos}")
        elif seq <= last_seq:
            scan.corrupt += 1
            scan.problems.append(f"record {seq} at offset {pos} is out of order "
                                 f"(after {last_seq})")
        else:
            scan.records.append(RecordRef(seq, first_seq, pos + HEADER_SIZE, length, meta))
            scan.valid_end = end
            last_seq = seq
        pos = end
    return scan


def _skip_damage(scan: SegmentScan, data: bytes, pos: int, last_seq: int) -> bool:
    """Count the damaged bytes from ``pos`` to the next valid header; False if none follows
    (a torn tail when the damage is a partial header at the end)."""
    nxt = _next_header(data, pos + 1, last_seq)
    if nxt is None:
        scan.corrupt += 1
        if len(data) - pos < HEADER_SIZE:
            scan.torn_tail = True
            scan.problems.append(f"torn tail at offset {pos}: {len(data) - pos} bytes of a "
                                 "partial header")
        else:
            scan.problems.append(f"unreadable bytes from offset {pos} to the end "
                                 f"({len(data) - pos} bytes)")
        return False
    header = _header_at(data, nxt)
    assert header is not None
    lost = max(1, header[0] - last_seq - 1)
    scan.corrupt += lost
    scan.problems.append(f"unreadable bytes at offsets {pos}-{nxt}: {lost} record(s) lost "
                         f"before record {header[0]}")
    return True


def read_record(fd: int, ref: RecordRef) -> bytes:
    """The payload of ``ref`` read from ``fd`` (its segment), checked against both checksums.

    Raises CorruptRecord when the bytes on disk no longer match, OSError when unreadable.
    """
    start = ref.offset - HEADER_SIZE
    data = os.pread(fd, HEADER_SIZE + ref.length, start)
    header = _header_at(data, 0)
    if header is None:
        raise CorruptRecord(f"record {ref.seq}: damaged header at offset {start}")
    seq, length, _meta, crc = header
    if seq != ref.seq or length != ref.length or len(data) != HEADER_SIZE + length:
        raise CorruptRecord(f"record {ref.seq}: header at offset {start} does not match")
    payload = data[HEADER_SIZE:]
    if zlib.crc32(payload) != crc:
        raise CorruptRecord(f"record {ref.seq}: bad checksum")
    return payload
