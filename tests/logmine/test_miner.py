"""The template miner on fixtures: grouping, stable IDs, determinism, bounds."""

from __future__ import annotations

from otelpy.logmine import MinerOptions, TemplateMiner, shape_of

from .fixtures import LINES


def mine(lines: list[str], options: MinerOptions | None = None) -> tuple[TemplateMiner,
                                                                        list[str]]:
    miner = TemplateMiner(options)
    return miner, [miner.add(line).pattern_id for line in lines]


def templates(miner: TemplateMiner) -> list[str]:
    return [p.template for p in miner.patterns()]


def test_fixture_templates() -> None:
    miner, _ = mine(LINES)
    assert templates(miner) == [
        "Accepted password for <*> from <*> port <*>",  # "22 ssh2": one run of variables
        "Received block <*> of size <*> from <*>",
        "Connection closed by <*> [preauth]",
        "session <*> opened for user <*> by (uid=<*>)",
        "Job <*> moved from NEW to <*>",
        "GET <*>",
        "worker started",
        "worker stopped",
    ]
    counts = [p.count for p in miner.patterns()]
    assert counts == [21, 15, 10, 4, 4, 2, 1, 1] and miner.seen == len(LINES)


def test_same_input_same_output() -> None:
    a, ids_a = mine(LINES)
    b, ids_b = mine(LINES)
    assert ids_a == ids_b and templates(a) == templates(b)


def test_id_is_stable_while_template_generalises() -> None:
    miner = TemplateMiner()
    first = miner.add("Accepted password for root from 10.0.0.1 port 22 ssh2")
    assert first.new and first.template == "Accepted password for root from <*> port <*>"
    later = miner.add("Accepted password for admin from 10.0.0.2 port 22 ssh2")
    assert not later.new and later.pattern_id == first.pattern_id
    assert later.template == "Accepted password for <*> from <*> port <*>"


def test_id_is_hash_of_first_shape() -> None:
    import hashlib
    miner = TemplateMiner()
    match = miner.add("worker 7 started")
    assert match.pattern_id == hashlib.sha256(b"worker <*> started").hexdigest()[:16]


def test_variable_runs_are_one_pattern() -> None:
    miner = TemplateMiner()
    one = miner.add("Changing view acls to: 42")
    two = miner.add("Changing view acls to: 12 34")
    three = miner.add("Changing view acls to: 5 6 7")
    assert shape_of(["a", "<*>", "<*>", "b"]) == "a <*> b"
    assert two.pattern_id == three.pattern_id
    assert one.pattern_id == two.pattern_id
    assert len(miner) == 1 and miner.cluster_count == 3


def test_a_word_with_many_values_becomes_a_variable() -> None:
    miner = TemplateMiner()
    names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan"]
    ids = [miner.add(f"user {n} logged").pattern_id for n in names]
    assert len(set(ids[:7])) == 7  # few values: kept apart (states, verbs, ...)
    assert ids[7] == ids[0] and ids[8] == ids[0]  # the 8th value: a variable
    assert miner.get(ids[1]) is miner.get(ids[0])  # merged IDs follow to the live pattern
    assert miner.get(ids[0]).template == "user <*> logged"  # type: ignore[union-attr]


def test_different_words_are_not_merged() -> None:
    miner = TemplateMiner()
    a = miner.add("Client attempting to establish new session at /10.0.0.1:2181")
    b = miner.add("Client attempting to renew session 0x1 at /10.0.0.2:2181")
    assert a.pattern_id != b.pattern_id


def test_max_patterns_evicts_least_recently_seen() -> None:
    miner = TemplateMiner(MinerOptions(max_patterns=3))
    first = miner.add("alpha one")
    for word in ["beta two", "gamma three"]:
        miner.add(word)
    miner.add("alpha one")  # alpha is now the most recent
    miner.add("delta four")  # evicts beta
    assert miner.evicted == 1 and miner.cluster_count == 3
    assert templates(miner) == ["alpha one", "gamma three", "delta four"]
    assert miner.get(first.pattern_id) is not None


def test_max_children_bounds_the_tree() -> None:
    miner = TemplateMiner(MinerOptions(max_children=4, max_patterns=1000))
    for i in range(20):
        miner.add(f"start {chr(97 + i)}x{chr(97 + i)} now with something")
    length_node = miner._root.children["5"]  # noqa: SLF001
    assert len(length_node.children["start"].children) <= 4


def test_match_does_not_learn() -> None:
    miner, _ = mine(LINES)
    before = (miner.seen, templates(miner))
    found = miner.match("Connection closed by 10.9.9.9 [preauth]")
    assert found is not None and found.template == "Connection closed by <*> [preauth]"
    assert miner.match("nothing like it at all") is None
    assert (miner.seen, templates(miner)) == before
