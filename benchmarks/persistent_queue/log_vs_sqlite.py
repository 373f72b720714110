"""Which on-disk format for the persistent sending queue: an append-only segment log or
SQLite in WAL mode? Measures both on this machine's disk, as a queue uses them.

For each record size (125 KB: one 512-span request; 2 MB: one merged 8192-span batch)
and each durability policy, it enqueues records for ``--seconds`` and then dequeues
them all (read back + acknowledge/delete), and prints records/s and MB/s for each phase:

* segment log: ``os.writev`` of a 24-byte header (with CRC-32 of the payload) and
  the payload to a file rotated at 16 MiB; fsync per record (``batch``), once per
  second (``interval``) or never. Dequeue = ``pread`` + CRC check, and deleting a
  segment file once all its records are read (the ack pointer file is a 32-byte
  rename, not shown: it is the same for both).
* SQLite (``sqlite3`` of the standard library): ``journal_mode=WAL``, one INSERT
  transaction per record with ``synchronous=FULL`` (fsync per commit, ``batch``),
  ``synchronous=NORMAL`` plus a ``wal_checkpoint`` once per second (``interval``:
  WAL mode syncs only at checkpoints), or ``synchronous=OFF`` (never).
  Dequeue = SELECT by id + DELETE in one transaction per record.

    .venv/bin/python benchmarks/persistent_queue/log_vs_sqlite.py [--seconds 3] [--dir DIR]

The scratch directory (default benchmarks/.work/log_vs_sqlite) must be on the disk
the queue will live on: tmpfs would make fsync free.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import struct
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

HEADER = struct.Struct("<IQII")  # magic, seq, length, crc
SEGMENT = 16 * 1024 * 1024
POLICIES = ("batch", "interval", "never")


class SegmentLog:
    def __init__(self, directory: Path, policy: str) -> None:
        self.dir, self.policy = directory, policy
        self.fd = -1
        self.size = 0
        self.seq = 0
        self.last_sync = time.monotonic()
        self.index: list[tuple[Path, int, int]] = []

    def _rotate(self) -> None:
        if self.fd >= 0:
            if self.policy != "never":
                os.fsync(self.fd)
            os.close(self.fd)
        path = self.dir / f"{self.seq:016x}.seg"
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        self.size = 0
        self.path = path

    def append(self, payload: bytes) -> None:
        if self.fd < 0 or self.size + len(payload) > SEGMENT:
            self._rotate()
        self.seq += 1
        header = HEADER.pack(0x4F545131, self.seq, len(payload), zlib.crc32(payload))
        os.writev(self.fd, [header, payload])
        self.index.append((self.path, self.size + HEADER.size, len(payload)))
        self.size += HEADER.size + len(payload)
        if self.policy == "batch":
            os.fdatasync(self.fd)
        elif self.policy == "interval" and time.monotonic() - self.last_sync >= 1.0:
            os.fdatasync(self.fd)
            self.last_sync = time.monotonic()

    def drain(self) -> int:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        fds: dict[Path, int] = {}
        n = 0
        for path, offset, length in self.index:
            fd = fds.get(path)
            if fd is None:
                for old, ofd in fds.items():
                    os.close(ofd)
                    old.unlink()
                fds = {path: (fd := os.open(path, os.O_RDONLY))}
            data = os.pread(fd, length, offset)
            assert len(data) == length and zlib.crc32(data) >= 0
            n += 1
        for old, ofd in fds.items():
            os.close(ofd)
            old.unlink()
        return n


class SqliteQueue:
    def __init__(self, directory: Path, policy: str) -> None:
        self.db = sqlite3.connect(directory / "queue.db", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        sync = {"batch": "FULL", "interval": "NORMAL", "never": "OFF"}[policy]
        self.db.execute(f"PRAGMA synchronous={sync}")
        self.db.execute("CREATE TABLE q (id INTEGER PRIMARY KEY, data BLOB)")
        self.policy = policy
        self.last_sync = time.monotonic()

    def append(self, payload: bytes) -> None:
        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO q (data) VALUES (?)", (payload,))
        self.db.execute("COMMIT")
        if self.policy == "interval" and time.monotonic() - self.last_sync >= 1.0:
            self.db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self.last_sync = time.monotonic()

    def drain(self) -> int:
        n = 0
        for (rid,) in self.db.execute("SELECT id FROM q ORDER BY id").fetchall():
            self.db.execute("BEGIN")
            (data,) = self.db.execute("SELECT data FROM q WHERE id=?", (rid,)).fetchone()
            assert len(data) > 0
            self.db.execute("DELETE FROM q WHERE id=?", (rid,))
            self.db.execute("COMMIT")
            n += 1
        self.db.close()
        return n


def measure(make: Callable[[Path, str], SegmentLog | SqliteQueue], scratch: Path, policy: str,
            size: int, seconds: float) -> tuple[float, float, float, float, float]:
    """(records/s enqueue, MB/s enqueue, CPU µs per enqueue, records/s dequeue,
    CPU µs per dequeue)."""
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    payload = os.urandom(size)
    queue = make(scratch, policy)
    start, cpu = time.perf_counter(), time.process_time()
    n = 0
    while time.perf_counter() - start < seconds:
        queue.append(payload)
        n += 1
    enq, enq_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    got = queue.drain()
    deq, deq_cpu = time.perf_counter() - start, time.process_time() - cpu
    assert got == n, (got, n)
    shutil.rmtree(scratch)
    return n / enq, n * size / enq / 1e6, enq_cpu / n * 1e6, n / deq, deq_cpu / n * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--dir", type=Path,
                        default=Path(__file__).resolve().parent.parent / ".work" / "log_vs_sqlite")
    args = parser.parse_args()
    print(f"sqlite {sqlite3.sqlite_version}, scratch {args.dir}, {args.seconds:g}s per cell")
    print(f"{'format':<12} {'record':>7} {'fsync':>9} {'enq rec/s':>10} {'enq MB/s':>9} "
          f"{'enq cpu us':>11} {'deq rec/s':>10} {'deq cpu us':>11}")
    for size in (125_000, 2_000_000):
        for policy in POLICIES:
            for name, make in (("segment log", SegmentLog), ("sqlite wal", SqliteQueue)):
                rps, mbps, ecpu, deq, dcpu = measure(make, args.dir, policy, size,
                                                     args.seconds)
                print(f"{name:<12} {size // 1000:>5}KB {policy:>9} {rps:>10.0f} {mbps:>9.0f} "
                      f"{ecpu:>11.0f} {deq:>10.0f} {dcpu:>11.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
