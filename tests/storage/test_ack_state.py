"""The acknowledgement state on disk: journal written at once (kill -9 safe), exact set of
records handed to a sender, snapshots and their journals, the version 1 ack file."""

from __future__ import annotations

import asyncio
import os
import struct
import zlib
from pathlib import Path

import pytest

from otelpy.storage import DurableLog, LogOptions, acks
from otelpy.storage.ackfile import (
    ACK_FILE,
    encode_event,
    journal_name,
    list_journals,
    load_ack,
    replay_journals,
)
from otelpy.testing.polling import until

from .killedlog import fill, run_and_kill


class Corruption:
    def __init__(self) -> None:
        self.events: list[tuple[int, str]] = []

    def __call__(self, count: int, message: str) -> None:
        self.events.append((count, message))


async def open_log(path: Path, corruption: Corruption | None = None) -> DurableLog:
    return await DurableLog.open(path, LogOptions(), corruption or Corruption())


def v1_ack_file(pointer: int, dispatched: int, acked: list[int]) -> bytes:
    """The version 1 layout, written by earlier otelpy."""
    body = struct.pack("<IIQQI", 0x4F54414B, 1, pointer, dispatched, len(acked))
    body += struct.pack(f"<{len(acked)}Q", *acked)
    return body + struct.pack("<I", zlib.crc32(body))


async def test_marks_and_acks_survive_kill_9_and_count_exactly(tmp_path: Path) -> None:
    await fill(tmp_path, 10)
    # 3 of 10 handed to a sender, 1 of those acknowledged, then kill -9
    assert run_and_kill(tmp_path, "d1", "d2", "d3", "a2")[0] == ""
    # the next start finds exactly the 2 handed over and not acknowledged; killed at once
    assert run_and_kill(tmp_path)[0] == "1,3"
    # they were counted by that start and not sent since: not counted again
    log = await open_log(tmp_path)
    assert [r.seq for r in log.recovery.records] == [1, 3, 4, 5, 6, 7, 8, 9, 10]
    assert not any(log.recovery.state.was_dispatched(r.seq) for r in log.recovery.records)
    await log.close()


async def test_out_of_order_acks_stay_acked_over_reopens(tmp_path: Path) -> None:
    await fill(tmp_path, 5)
    run_and_kill(tmp_path, "a1", "a2", "a4")
    for _ in range(3):
        log = await open_log(tmp_path)
        assert [r.seq for r in log.recovery.records] == [3, 5]
        await log.close()


async def test_version_1_ack_file_still_loads(tmp_path: Path) -> None:
    await fill(tmp_path, 6)
    (tmp_path / ACK_FILE).write_bytes(v1_ack_file(pointer=2, dispatched=4, acked=[3]))
    for _, path in list_journals(tmp_path):
        path.unlink()
    corruption = Corruption()
    log = await open_log(tmp_path, corruption)
    assert corruption.events == []
    assert log.recovery.had_ack_file
    assert [r.seq for r in log.recovery.records] == [2, 4, 5, 6]
    # version 1 knew only the highest seq handed to a sender: every record up to it counts
    assert [log.recovery.state.was_dispatched(s) for s in (2, 4, 5, 6)] == [
        True, True, False, False]
    await log.close()
    assert struct.unpack_from("<II", (tmp_path / ACK_FILE).read_bytes()) == (0x4F54414B, 2)
    log = await open_log(tmp_path)
    assert [r.seq for r in log.recovery.records] == [2, 4, 5, 6]
    assert not any(log.recovery.state.was_dispatched(s) for s in (2, 4, 5, 6))
    await log.close()


async def test_snapshots_replace_the_journals_they_cover(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(acks, "JOURNAL_LIMIT", 160)  # a snapshot every 10 events
    log = await open_log(tmp_path)
    refs = [await log.append([b"x"], 1, lambda ref: None) for _ in range(100)]
    for ref in refs[:95]:
        log.mark_dispatched(ref.seq)
        log.ack(ref.seq)
        await asyncio.sleep(0)
    log.mark_dispatched(refs[97].seq)
    # the last snapshot's thread deletes the journals before it
    await until(lambda: len(list_journals(tmp_path)) <= 2, what="old journals to be deleted")
    await log.close()
    assert list_journals(tmp_path) == []
    log = await open_log(tmp_path)
    assert [r.seq for r in log.recovery.records] == [96, 97, 98, 99, 100]
    assert log.recovery.state.dispatched == {98}
    await log.close()


async def test_damaged_journal_keeps_the_events_before_the_damage(tmp_path: Path) -> None:
    await fill(tmp_path, 4)
    saved = load_ack(tmp_path)
    assert saved is not None
    generation = saved.generation
    events = encode_event(1, 1) + encode_event(1, 2) + b"\x00" * 16 + encode_event(1, 3)
    (tmp_path / journal_name(generation)).write_bytes(events)
    corruption = Corruption()
    log = await open_log(tmp_path, corruption)
    assert [r.seq for r in log.recovery.records] == [3, 4]  # 3's ack came after the damage
    assert len(corruption.events) == 1 and "jnl" in corruption.events[0][1]
    await log.close()


async def test_a_journal_that_cannot_be_written_falls_back_to_snapshots(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    await fill(tmp_path, 3)
    log = await open_log(tmp_path)
    # make the journal unwritable: its descriptor now reads /dev/null (writes: EBADF)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, log._acks._fd)  # noqa: SLF001
    os.close(null)
    log.ack(1)  # EBADF: logged; a snapshot holds it, and a new journal takes over
    log.ack(2)
    def saved_with_1() -> bool:
        saved = load_ack(tmp_path)
        return saved is not None and saved.is_acked(1)

    await until(saved_with_1, what="a snapshot holding ack 1")  # on disk before any close
    saved = load_ack(tmp_path)
    assert saved is not None
    state, _ = replay_journals(tmp_path, saved, [])
    assert [state.is_acked(s) for s in (1, 2, 3)] == [True, True, False]
    assert "writing the acknowledgement journal" in caplog.text
    await log.close()
    log = await open_log(tmp_path)
    assert [r.seq for r in log.recovery.records] == [3]
    await log.close()
