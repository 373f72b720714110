"""Undoing a dispatch mark (``unmark_dispatched``): one journal event that survives kill -9
and a clean close, and journals without that event kind load as before."""

from __future__ import annotations

import asyncio
from pathlib import Path

from otelpy.storage import DurableLog, LogOptions
from otelpy.storage.ackfile import (
    EV_ACK,
    EV_DISPATCH,
    EV_UNDISPATCH,
    AckState,
    encode_event,
    journal_name,
    list_journals,
    replay_journals,
)

from .killedlog import fill, run_and_kill


async def dispatched_at_open(path: Path) -> list[int]:
    log = await DurableLog.open(path, LogOptions(), lambda n, m: None)
    state = log.recovery.state
    found = [r.seq for r in log.recovery.records if state.was_dispatched(r.seq)]
    await log.close()
    return found


async def test_undo_survives_kill_9(tmp_path: Path) -> None:
    await fill(tmp_path, 5)
    steps = ("d1", "d2", "d3", "u2", "d4", "u4", "d4", "u5")
    assert (await asyncio.to_thread(run_and_kill, tmp_path, *steps))[1] == "1,3,4"
    # 2 undone; 4 undone then handed over again; 5 never marked: the undo is a no-op
    assert await dispatched_at_open(tmp_path) == [1, 3, 4]


async def test_undo_survives_a_clean_close(tmp_path: Path) -> None:
    await fill(tmp_path, 3)
    log = await DurableLog.open(tmp_path, LogOptions(), lambda n, m: None)
    log.mark_dispatched(1)
    log.mark_dispatched(2)
    log.unmark_dispatched(1)
    assert log.dispatched == frozenset({2})
    await log.close()
    assert await dispatched_at_open(tmp_path) == [2]


async def test_undo_is_one_16_byte_journal_event(tmp_path: Path) -> None:
    await fill(tmp_path, 2)
    log = await DurableLog.open(tmp_path, LogOptions(), lambda n, m: None)
    (_, journal), = list_journals(tmp_path)
    log.mark_dispatched(1)
    log.unmark_dispatched(1)
    log.unmark_dispatched(2)  # not marked: nothing written
    data = journal.read_bytes()
    assert data == encode_event(EV_DISPATCH, 1) + encode_event(EV_UNDISPATCH, 1)
    assert len(data) == 32
    await log.close()


def test_replay_of_undo_events() -> None:
    state = AckState(pointer=1, dispatched=frozenset({7}))
    events = [(EV_DISPATCH, 1), (EV_DISPATCH, 2), (EV_UNDISPATCH, 1), (EV_UNDISPATCH, 7),
              (EV_ACK, 2), (EV_UNDISPATCH, 2), (EV_DISPATCH, 3)]
    out = state.replay(events)
    assert out.dispatched == frozenset({3})
    assert out.acked == frozenset({2})
    assert [s for s in range(1, 8) if out.was_dispatched(s)] == [3]


def test_journal_without_undo_events_loads_as_before(tmp_path: Path) -> None:
    # what earlier releases wrote: only ACK and DISPATCH events
    old = b"".join(encode_event(k, s) for k, s in
                   [(EV_DISPATCH, 1), (EV_DISPATCH, 2), (EV_ACK, 1), (EV_DISPATCH, 4)])
    (tmp_path / journal_name(1)).write_bytes(old)
    problems: list[str] = []
    state, top = replay_journals(tmp_path, AckState(generation=1), problems)
    assert (problems, top) == ([], 1)
    assert state.dispatched == frozenset({2, 4})
    assert state.acked == frozenset({1})
    # the same journal with an undo appended reads it, without any problem
    (tmp_path / journal_name(1)).write_bytes(old + encode_event(EV_UNDISPATCH, 4))
    state, _ = replay_journals(tmp_path, AckState(generation=1), problems)
    assert problems == []
    assert state.dispatched == frozenset({2})
