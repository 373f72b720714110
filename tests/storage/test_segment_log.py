"""DurableLog on real files: append, read, ack, rotation, recovery, damage, fsync policies."""

from __future__ import annotations

import asyncio
import errno
import os
import time
from pathlib import Path

import pytest

from otelpy.storage import (
    CorruptRecord,
    DurableLog,
    FsyncPolicy,
    LogClosed,
    LogOptions,
    RecordRef,
    StorageLocked,
)
from otelpy.storage.ackfile import ACK_FILE
from otelpy.storage.records import HEADER_SIZE
from otelpy.testing.polling import until


class Corruption:
    """Collects what the log reports as damaged."""

    def __init__(self) -> None:
        self.events: list[tuple[int, str]] = []

    def __call__(self, count: int, message: str) -> None:
        self.events.append((count, message))

    @property
    def total(self) -> int:
        return sum(n for n, _ in self.events)


def payload(i: int, size: int = 300) -> bytes:
    return i.to_bytes(4, "little") * (size // 4)


async def open_log(path: Path, corruption: Corruption | None = None,
                   **options: object) -> DurableLog:
    return await DurableLog.open(path, LogOptions(**options),  # type: ignore[arg-type]
                                 corruption if corruption is not None else Corruption())


async def append_many(log: DurableLog, n: int, start: int = 0) -> list[RecordRef]:
    return [await log.append([payload(i)], i, lambda ref: None) for i in range(start, start + n)]


def segments(path: Path) -> list[str]:
    return sorted(p.name for p in path.glob("*.seg"))


async def test_append_read_ack_and_reopen(tmp_path: Path) -> None:
    log = await open_log(tmp_path)
    refs = await append_many(log, 5)
    assert [r.seq for r in refs] == [1, 2, 3, 4, 5]
    assert [r.meta for r in refs] == [0, 1, 2, 3, 4]
    for ref in refs:
        assert await log.read(ref) == payload(ref.meta)
    for ref in refs[:2]:
        log.ack(ref.seq)
    log.ack(refs[3].seq)  # out of order
    assert log.pointer == 3
    await log.close()
    log = await open_log(tmp_path)
    assert [r.seq for r in log.recovery.records] == [3, 5]
    assert [await log.read(r) for r in log.recovery.records] == [payload(2), payload(4)]
    more = await append_many(log, 1, start=9)
    assert more[0].seq == 6
    await log.close()


async def test_parts_are_concatenated_and_on_written_comes_first(tmp_path: Path) -> None:
    log = await open_log(tmp_path)
    seen: list[RecordRef | None] = []
    ref = await log.append([b"ab", b"", b"cde"], 7, seen.append)
    assert seen == [ref]
    assert ref.length == 5 and await log.read(ref) == b"abcde"
    await log.close()


async def test_concurrent_appends_are_ordered(tmp_path: Path) -> None:
    log = await open_log(tmp_path)
    refs = await asyncio.gather(*(log.append([payload(i)], i, lambda r: None)
                                  for i in range(50)))
    assert [r.seq for r in refs] == list(range(1, 51))
    assert [r.meta for r in refs] == list(range(50))
    await log.close()


async def test_rotation_and_deletion_of_acknowledged_segments(tmp_path: Path) -> None:
    log = await open_log(tmp_path, segment_size=1000)  # 3 records of 328 bytes a segment
    refs = await append_many(log, 10)
    assert [r.segment for r in refs] == [1, 1, 1, 4, 4, 4, 7, 7, 7, 10]
    assert len(segments(tmp_path)) == 4
    for ref in refs[:7]:
        log.ack(ref.seq)
    await log.close()
    # segments 1 and 4 held only acknowledged records; 7 still holds 8 and 9
    assert segments(tmp_path) == ["00000000000000000007.seg", "00000000000000000010.seg"]
    log = await open_log(tmp_path, segment_size=1000)
    assert [r.seq for r in log.recovery.records] == [8, 9, 10]
    for ref in log.recovery.records:
        log.ack(ref.seq)
    await log.close()
    assert segments(tmp_path) == []


async def test_large_record_gets_a_segment_of_its_own(tmp_path: Path) -> None:
    log = await open_log(tmp_path, segment_size=1000)
    small = await log.append([b"x" * 10], 0, lambda r: None)
    big = await log.append([b"y" * 5000], 0, lambda r: None)
    after = await log.append([b"z" * 10], 0, lambda r: None)
    assert small.segment != big.segment != after.segment
    assert await log.read(big) == b"y" * 5000
    await log.close()


async def test_dispatch_mark_is_saved(tmp_path: Path) -> None:
    log = await open_log(tmp_path)
    await append_many(log, 4)
    log.mark_dispatched(2)
    assert log.dispatched == {2}
    await log.close()
    log = await open_log(tmp_path)
    assert log.recovery.state.dispatched == {2}
    assert [log.recovery.state.was_dispatched(s) for s in (1, 2, 3, 4)] == [
        False, True, False, False]
    assert [r.seq for r in log.recovery.records] == [1, 2, 3, 4]
    assert log.dispatched == set()  # counted by this open: not again by the next one
    await log.close()
    log = await open_log(tmp_path)
    assert log.recovery.state.dispatched == set()
    await log.close()


async def test_torn_tail_is_skipped_and_counted(tmp_path: Path) -> None:
    log = await open_log(tmp_path)
    await append_many(log, 4)
    await log.close()
    seg = tmp_path / segments(tmp_path)[0]
    os.truncate(seg, seg.stat().st_size - 100)  # the last record loses its end
    corruption = Corruption()
    log = await open_log(tmp_path, corruption)
    assert [r.seq for r in log.recovery.records] == [1, 2, 3]
    assert corruption.total == 1 and "torn tail" in corruption.events[0][1]
    ref = (await append_many(log, 1))[0]
    assert ref.seq == 4  # the torn record's number is used again: it was never acknowledged
    assert await log.read(ref) == payload(0)
    await log.close()


async def test_partial_header_at_the_end(tmp_path: Path) -> None:
    log = await open_log(tmp_path)
    await append_many(log, 2)
    await log.close()
    seg = tmp_path / segments(tmp_path)[0]
    seg.write_bytes(seg.read_bytes() + b"\x31\x51\x54\x4f\x05")  # a header's start, then the crash
    corruption = Corruption()
    log = await open_log(tmp_path, corruption)
    assert [r.seq for r in log.recovery.records] == [1, 2]
    assert corruption.total == 1
    await log.close()


def flip(path: Path, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x40]))


@pytest.mark.parametrize("where", ["payload", "length field"], ids=["payload", "header"])
async def test_flipped_byte_loses_one_record(tmp_path: Path, where: str) -> None:
    log = await open_log(tmp_path)
    refs = await append_many(log, 5)
    await log.close()
    seg = tmp_path / segments(tmp_path)[0]
    start = refs[2].offset - HEADER_SIZE
    flip(seg, refs[2].offset + 17 if where == "payload" else start + 12)
    corruption = Corruption()
    log = await open_log(tmp_path, corruption)
    assert [r.seq for r in log.recovery.records] == [1, 2, 4, 5]
    assert [await log.read(r) for r in log.recovery.records] == [
        payload(0), payload(1), payload(3), payload(4)]
    assert corruption.total == 1
    await log.close()


async def test_damage_after_open_is_caught_on_read(tmp_path: Path) -> None:
    corruption = Corruption()
    log = await open_log(tmp_path, corruption)
    refs = await append_many(log, 2)
    flip(tmp_path / segments(tmp_path)[0], refs[1].offset + 3)
    with pytest.raises(CorruptRecord):
        await log.read(refs[1])
    assert corruption.total == 1
    assert await log.read(refs[0]) == payload(0)
    await log.close()


async def test_zero_length_segment_is_harmless(tmp_path: Path) -> None:
    log = await open_log(tmp_path)
    await append_many(log, 2)
    await log.close()
    (tmp_path / "00000000000000000003.seg").write_bytes(b"")
    corruption = Corruption()
    log = await open_log(tmp_path, corruption)
    assert [r.seq for r in log.recovery.records] == [1, 2]
    ref = (await append_many(log, 1))[0]
    assert ref.seq == 4 and ref.segment == 4  # never reuses an existing file name
    await log.close()
    assert corruption.events == []


async def test_missing_ack_file_delivers_everything_again(tmp_path: Path) -> None:
    log = await open_log(tmp_path)
    refs = await append_many(log, 3)
    log.ack(refs[0].seq)
    await log.close()
    (tmp_path / ACK_FILE).unlink()
    corruption = Corruption()
    log = await open_log(tmp_path, corruption)
    assert not log.recovery.had_ack_file
    assert [r.seq for r in log.recovery.records] == [1, 2, 3]
    assert corruption.events == []
    await log.close()


async def test_damaged_ack_file_is_counted_and_everything_delivered(tmp_path: Path) -> None:
    log = await open_log(tmp_path)
    refs = await append_many(log, 3)
    log.ack(refs[0].seq)
    await log.close()
    flip(tmp_path / ACK_FILE, 10)
    corruption = Corruption()
    log = await open_log(tmp_path, corruption)
    assert [r.seq for r in log.recovery.records] == [1, 2, 3]
    assert corruption.total == 1 and "ack" in corruption.events[0][1]
    await log.close()


async def test_second_open_of_a_locked_directory_fails(tmp_path: Path) -> None:
    log = await open_log(tmp_path)
    start = time.monotonic()
    with pytest.raises(StorageLocked):
        await open_log(tmp_path, lock_timeout=0.2)
    assert time.monotonic() - start >= 0.2
    await log.close()
    again = await open_log(tmp_path, lock_timeout=0.2)
    await again.close()


async def test_append_after_close_is_refused(tmp_path: Path) -> None:
    log = await open_log(tmp_path)
    await log.close()
    await log.close()  # idempotent
    with pytest.raises(LogClosed):
        await log.append([b"x"], 0, lambda r: None)


async def test_interval_policy_returns_on_write_and_syncs_within_the_interval(
        tmp_path: Path) -> None:
    interval = 1.5  # long enough that no stall of a loaded machine reaches it between steps
    log = await open_log(tmp_path, fsync_policy=FsyncPolicy.INTERVAL, fsync_interval=interval)
    loop = asyncio.get_running_loop()
    written: list[RecordRef | None] = []
    began = loop.time()
    await log.append([b"a"], 0, written.append)
    # acknowledged once written: no fdatasync has run for it when append returns
    assert log.syncs == 0 and log.unsynced == 1
    # idle: the periodic sync starts at once, long before an interval has passed
    await until(lambda: log.unsynced == 0, interval / 2, "the first periodic sync")
    assert log.syncs == 1
    refs = [await log.append([payload(i)], i, written.append) for i in range(3)]
    # acknowledged before any sync: written, not yet on stable storage
    assert log.syncs == 1 and log.unsynced == 3 and len(written) == 4
    # one fdatasync covers all three, no sooner than fsync_interval after the previous one
    # (which started after `began`)
    await until(lambda: log.unsynced == 0, 10 * interval, "the second periodic sync")
    assert loop.time() - began >= interval and log.syncs == 2
    await log.append([b"c"], 0, written.append)  # the next periodic sync is an interval away
    assert log.unsynced == 1 and log.syncs == 2
    await log.close()  # syncs the rest
    assert log.unsynced == 0 and log.syncs == 3
    log = await open_log(tmp_path)
    assert [r.seq for r in log.recovery.records] == [1, *(r.seq for r in refs), 5]
    await log.close()


async def test_failed_periodic_sync_is_reported_not_retried(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    failures: list[tuple[int, str]] = []
    log = await DurableLog.open(tmp_path, LogOptions(FsyncPolicy.INTERVAL, 0.05),
                                Corruption(), lambda n, what: failures.append((n, what)))
    real = os.fdatasync

    attempts: list[int] = []

    def broken(fd: int) -> None:
        attempts.append(fd)
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fdatasync", broken)
    ref = await log.append([b"a"], 0, lambda r: None)  # acknowledged: written
    assert ref.seq == 1
    await until(lambda: bool(failures), what="the failed sync to be reported")
    await asyncio.sleep(0.15)  # three periods in which a retry would show
    assert log.unsynced == 0 and log.syncs == 0 and len(attempts) == 1
    assert failures == [(1, f"fsync of {tmp_path} failed: [Errno 5] Input/output error; "
                            "1 acknowledged record(s) may not be on stable storage (lost on "
                            "a power loss or kernel crash)")]
    monkeypatch.setattr(os, "fdatasync", real)
    await log.append([b"b"], 0, lambda r: None)
    await until(lambda: log.syncs == 1, what="a sync after the disk recovered")
    await log.close()
    assert len(failures) == 1 and log.syncs == 2


async def test_never_policy_returns_after_write(tmp_path: Path) -> None:
    log = await open_log(tmp_path, fsync_policy=FsyncPolicy.NEVER)
    refs = await append_many(log, 3)
    await log.close()
    log = await open_log(tmp_path)
    assert [r.seq for r in log.recovery.records] == [r.seq for r in refs]
    await log.close()


async def test_cancelled_open_releases_the_lock(tmp_path: Path) -> None:
    task = asyncio.create_task(open_log(tmp_path))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    log = await open_log(tmp_path, lock_timeout=2.0)  # waits for the abandoned open to let go
    await log.close()


def test_segment_files_are_plain_records(tmp_path: Path) -> None:
    async def write() -> list[RecordRef]:
        log = await open_log(tmp_path)
        refs = await append_many(log, 2)
        await log.close()
        return refs

    refs = asyncio.run(write())
    data = (tmp_path / segments(tmp_path)[0]).read_bytes()
    assert len(data) == 2 * (HEADER_SIZE + 300)
    assert data[refs[1].offset:refs[1].offset + 300] == payload(1)
    assert os.stat(tmp_path / segments(tmp_path)[0]).st_size == len(data)
