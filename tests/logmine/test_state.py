"""A miner's state as bytes: round trip, damage, bounds on restore."""

from __future__ import annotations

import json
import zlib

import pytest

from otelpy.logmine import MinerOptions, StateError, TemplateMiner, dump, load

from .fixtures import LINES


def test_round_trip_answers_as_the_original() -> None:
    a = TemplateMiner()
    half = len(LINES) // 2
    for line in LINES[:half]:
        a.add(line)
    b = load(dump(a))
    assert dump(b) == dump(a)
    assert [a.add(x) for x in LINES[half:]] == [b.add(x) for x in LINES[half:]]
    assert dump(a) == dump(b)


def test_round_trip_keeps_merges_and_counters() -> None:
    a = TemplateMiner(MinerOptions(max_patterns=4))
    ids = [a.add(x).pattern_id for x in LINES]
    b = load(dump(a), MinerOptions(max_patterns=4))
    assert (b.seen, b.evicted, b.merged) == (a.seen, a.evicted, a.merged)
    assert a.evicted > 0
    assert [b.resolve(i) for i in ids] == [a.resolve(i) for i in ids]


def test_smaller_max_patterns_evicts_on_restore() -> None:
    a = TemplateMiner()
    for x in LINES:
        a.add(x)
    b = load(dump(a), MinerOptions(max_patterns=2))
    assert b.cluster_count == 2 and b.evicted == a.evicted + a.cluster_count - 2
    assert [p.template for p in b.patterns()] == ["worker started", "worker stopped"]


@pytest.mark.parametrize("data", [
    b"", b"not zlib", zlib.compress(b"{not json"), zlib.compress(b"[]"),
    zlib.compress(json.dumps({"version": 99}).encode()),
    zlib.compress(json.dumps({"version": 1, "patterns": [{"id": "x"}]}).encode()),
], ids=["empty", "garbage", "bad-json", "not-object", "version", "missing-keys"])
def test_damaged_state_is_refused(data: bytes) -> None:
    with pytest.raises(StateError):
        load(data)
