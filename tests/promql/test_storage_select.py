"""SeriesStore.select through its postings index: the same series, in the same (sorted) order,
as matching every stored series one by one."""

from __future__ import annotations

from otelpy.promql.ast import VectorSelector
from otelpy.promql.parser import parse
from otelpy.promql.storage import SeriesStore
from otelpy.promql.values import Labels, get, labels_from


def _store() -> SeriesStore:
    store = SeriesStore()
    for n in range(60):
        pairs = {"__name__": "m" if n % 3 else "other", "job": f"j{n % 4}", "i": str(n)}
        if n % 5:
            pairs["zone"] = f"z{n % 2}"
        store.append(labels_from(pairs), 1000, float(n))
    return store


def _select(store: SeriesStore, selector: str) -> list[Labels]:
    node = parse(selector)
    assert isinstance(node, VectorSelector)
    return [m for m, _, _ in store.select(node.matchers)]


def _scan(store: SeriesStore, selector: str) -> list[Labels]:
    node = parse(selector)
    assert isinstance(node, VectorSelector)
    return sorted(m for m in store.last_series()
                  if all(x.matches(get(m, x.name)) for x in node.matchers))


SELECTORS = ['m', 'm{job="j1"}', 'm{job="j1",zone="z0"}', 'm{zone=""}', '{job="j2"}',
             'm{job!="j1"}', 'm{job=~"j[12]"}', 'm{zone!~"z1"}', '{__name__=~"m|other",job="j3"}',
             'm{job="none"}', 'nothing']


def test_select_matches_a_full_scan() -> None:
    store = _store()
    for selector in SELECTORS:
        assert _select(store, selector) == _scan(store, selector), selector
    assert len(_select(store, 'm{zone=""}')) == 8  # series without zone: n % 5 == 0, n % 3 != 0


def test_removed_series_leave_the_index() -> None:
    store = _store()
    gone = _select(store, 'm{job="j1"}')
    assert gone
    for metric in gone:
        assert store.remove(metric)
    assert _select(store, 'm{job="j1"}') == []
    assert _select(store, 'm') == _scan(store, 'm')
    store.append(gone[0], 2000, 1.0)
    assert _select(store, 'm{job="j1"}') == [gone[0]]


def test_cached_selections_see_new_series_and_new_samples() -> None:
    store = _store()
    before = _select(store, 'm{job="j1"}')
    regex_before = _select(store, '{__name__=~"m|other"}')
    ts_of_first = store.select(parse('m{job="j1"}').matchers)[0][1]  # type: ignore[attr-defined]
    store.append(before[0], 5000, 7.0)  # a sample of a known series: same lists, seen
    assert ts_of_first[-1] == 5000
    new = labels_from({"__name__": "m", "job": "j1", "i": "new"})
    store.append(new, 1000, 1.0)
    assert _select(store, 'm{job="j1"}') == sorted([*before, new])
    assert _select(store, '{__name__=~"m|other"}') == sorted([*regex_before, new])
    assert _select(store, 'other') == _scan(store, 'other')  # other names' entries kept valid
