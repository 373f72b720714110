"""The one-heap schedule: deterministic phases in 20 ms slots, rounds of the checks due
together, missed ticks skipped; and a round of many checks through the receiver sends
one batch."""

from __future__ import annotations

from collections import Counter

import hc_checks  # noqa: F401 - the custom functions the checks name
from harness import attrs, make, metrics

from otelpy.receivers.healthcheck.rounds import SLOT, Schedule
from otelpy.testing.clock import FakeClock
from otelpy.testing.polling import until


def test_thousand_checks_make_fifty_rounds_of_twenty_a_second() -> None:
    schedule = Schedule([(f"c{i}", 1.0) for i in range(1000)], start=100.0)
    first = schedule.pop_due(100.0)
    assert len(first) == 1000 and {due for _, due in first} == {100.0}  # all at start
    rounds: Counter[float] = Counter()
    while (due := schedule.next_due()) is not None and due < 101.0 + SLOT / 2:
        rounds[due] += len(schedule.pop_due(due))
    assert len(rounds) == 50 and set(rounds.values()) == {20}
    assert min(rounds) == 100.02 and max(rounds) == 101.0
    # and so every second after: each check once a second, in the same slot
    again = schedule.pop_due(101.0 + 1.0 - SLOT / 2)
    assert len({name for name, _ in again}) == len(again) == 1000 - 20


def test_missed_ticks_are_skipped_and_phase_is_used_once() -> None:
    schedule = Schedule([("a", 10.0), ("b", 10.0)], start=0.0)
    assert [n for n, _ in schedule.pop_due(0.0)] == ["a", "b"]
    assert [(n, d) for n, d in schedule.pop_due(9.99)] == [("b", 10.0 - 0.5)]
    assert schedule.pop_due(10.0) == [("a", 10.0)]
    # the loop was stuck for 25 s: each runs once, then keeps its own phase
    assert schedule.pop_due(45.0) == [("b", 19.5), ("a", 20.0)]
    assert schedule.next_due() == 49.5
    assert schedule.pop_due(50.0) == [("b", 49.5), ("a", 50.0)]


async def test_a_round_of_many_checks_is_one_batch() -> None:
    clock = FakeClock()
    checks = {f"c{i}": {"type": "custom", "check_function": "hc_checks:sync_ok",
                        "interval": "5s"} for i in range(30)}
    receiver, sink, host = make(checks, clock)
    await receiver.start(host)
    await until(lambda: len(sink.batches) == 1)
    [status] = [m for m in metrics(sink) if m.name == "healthcheck.status"]
    assert len(status.gauge.data_points) == 30 * 4  # a point per status per check
    await clock.advance(5)  # 30 checks over 1 s: 30 slots of 20 ms, one check each
    await until(lambda: len(sink.batches) == 31)
    await receiver.shutdown()


async def test_a_hung_check_holds_only_its_rounds_batch_not_its_mates_states() -> None:
    clock = FakeClock()
    receiver, sink, host = make({
        "hang": {"type": "custom", "check_function": "hc_checks:async_hang",
                 "interval": "10s", "timeout": "4s"},
        "ok": {"type": "custom", "check_function": "hc_checks:sync_ok", "interval": "1s"}},
        clock)
    await receiver.start(host)
    # both start in the first round: ok's state is there at once, the batch waits for hang
    await until(lambda: receiver.states["ok"].status.value == "healthy")
    assert sink.batches == []
    # ok is not busy: its own rounds run (one a second) while hang still runs
    await clock.advance(1)
    await until(lambda: len(sink.batches) == 1)
    assert {attrs(p)["healthcheck.name"] for m in metrics(sink)
            for p in m.gauge.data_points} == {"ok"}
    await clock.advance(3)  # 4 s: hang is cut; the first round's batch goes out with both
    await until(lambda: receiver.states["hang"].message == "timed out after 4s")
    await until(lambda: any(attrs(p)["healthcheck.name"] == "hang" for m in metrics(sink)
                            for p in m.gauge.data_points))
    await receiver.shutdown()
