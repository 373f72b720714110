"""labels_key: the compact identity of a label set used by the scrape loop and the
receiver's groups and start times."""

from __future__ import annotations

import itertools

from otelpy.prometheus.labels import labels_key


def test_equal_for_equal_sets_in_any_order() -> None:
    pairs = [("job", "j"), ("instance", "h:1"), ("path", "/a"), ("code", "200")]
    keys = {labels_key(p, "m") for p in itertools.permutations(pairs)}
    assert len(keys) == 1
    assert labels_key(dict(pairs).items(), "m") in keys


def test_distinct_sets_never_collide() -> None:
    """Contents that would forge a separator in a joined string stay apart."""
    sets = [
        [("a", "b:c")], [("a:b", "c")], [("a", "b"), ("c", "")], [("a", "b,c=")],
        [("a", "1:b")], [("a", ""), ("b", "")], [("ab", "")], [("a", "b")], [],
        [("a", "\udfff")], [("a", "1:a1:b")],
    ]
    keys = [labels_key(s) for s in sets]
    assert len(set(keys)) == len(keys)
    # the metric name is part of the identity, never confused with a label
    assert labels_key([("a", "b")], "m") != labels_key([("a", "b")], "n")
    assert labels_key([("m", "")]) != labels_key([], "m")
    assert labels_key([], "") != labels_key([("", "")])
