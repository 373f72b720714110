"""An in-memory series store: label set -> time-sorted (t_ms, value) samples.

This is the interface the evaluator reads; the alerting connector and the rule unit tester
append to it. ``visible_until`` hides samples after a time (promtool loads input samples
lazily, up to the evaluation time).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Set as AbstractSet

from otelpy.promql.ast import Matcher
from otelpy.promql.values import Labels, get, is_stale

_EMPTY: frozenset[Labels] = frozenset()


class SeriesStore:
    """Series by label set, each with parallel ascending ``ts`` (ms) and ``vs`` lists."""

    def __init__(self) -> None:
        self._series: dict[Labels, tuple[list[int], list[float]]] = {}
        # Postings: (label name, value) -> the series carrying that pair, for `=` matchers.
        self._postings: dict[tuple[str, str], set[Labels]] = {}
        self.visible_until: int | None = None
        # Selector matchers -> the matching series, sorted; valid while the series set is
        # unchanged (appending samples to known series keeps it: the lists are shared).
        self._selected: dict[tuple[tuple[str, str, str], ...],
                             list[tuple[Labels, list[int], list[float]]]] = {}
        # Metric name (of a `__name__="x"` matcher, else "") -> the cached selectors with it.
        self._selected_by_name: dict[str, set[tuple[tuple[str, str, str], ...]]] = {}

    def __len__(self) -> int:
        return len(self._series)

    def append(self, metric: Labels, t: int, v: float) -> bool:
        """Add one sample; False (and nothing stored) when ``t`` is not after the series'
        last sample, as the TSDB refuses out-of-order and duplicate samples."""
        entry = self._series.get(metric)
        if entry is None:
            entry = ([], [])
            self._series[metric] = entry
            for pair in metric:
                self._postings.setdefault(pair, set()).add(metric)
            self._forget_selections(get(metric, "__name__"))
        ts, vs = entry
        if ts and t <= ts[-1]:
            return False
        ts.append(t)
        vs.append(v)
        return True

    def select(self, matchers: list[Matcher]) -> list[tuple[Labels, list[int], list[float]]]:
        """Series matching every matcher, sorted by label set, with their samples (the
        caller must not change the list)."""
        key = tuple((m.name, m.op, m.value) for m in matchers)
        found = self._selected.get(key)
        if found is None:
            found = self._selected[key] = self._select(matchers)
            name = next((v for n, op, v in key if n == "__name__" and op == "="), "")
            self._selected_by_name.setdefault(name, set()).add(key)
        return found

    def _forget_selections(self, name: str) -> None:
        """Drop the cached selections a series of metric ``name`` may belong to."""
        for bucket in (name, ""):
            for key in self._selected_by_name.pop(bucket, ()):
                self._selected.pop(key, None)

    def _select(self, matchers: list[Matcher]) -> list[tuple[Labels, list[int], list[float]]]:
        sets = [self._postings.get((m.name, m.value), _EMPTY) for m in matchers
                if m.op == "=" and m.value]
        rest = [m for m in matchers if not (m.op == "=" and m.value)]
        candidates: AbstractSet[Labels]
        if sets:
            sets.sort(key=len)
            candidates = sets[0].intersection(*sets[1:]) if len(sets) > 1 else sets[0]
        else:
            candidates = self._series.keys()
        out = []
        series = self._series
        for metric in sorted(candidates):
            if all(m.matches(get(metric, m.name)) for m in rest):
                ts, vs = series[metric]
                out.append((metric, ts, vs))
        return out

    def remove(self, metric: Labels) -> bool:
        """Forget one series; False when it was not stored."""
        if self._series.pop(metric, None) is None:
            return False
        self._forget_selections(get(metric, "__name__"))
        for pair in metric:
            posting = self._postings.get(pair)
            if posting is not None:
                posting.discard(metric)
                if not posting:
                    del self._postings[pair]
        return True

    def trim(self, before: int) -> int:
        """Drop samples older than ``before`` (ms) and series left empty; returns how many
        series went."""
        gone = []
        for metric, (ts, vs) in self._series.items():
            if ts and ts[0] < before:
                cut = bisect_left(ts, before)
                del ts[:cut]
                del vs[:cut]
            if not ts:
                gone.append(metric)
        for metric in gone:
            self.remove(metric)
        return len(gone)

    def samples(self) -> int:
        """How many samples are stored."""
        return sum(len(ts) for ts, _ in self._series.values())

    def end_index(self, ts: list[int], ref: int) -> int:
        """Index one past the last sample at or before ``ref`` (and the visibility limit)."""
        if self.visible_until is not None and ref > self.visible_until:
            ref = self.visible_until
        return bisect_right(ts, ref)

    def last_series(self) -> dict[Labels, tuple[int, float]]:
        """Each series' last sample (for staleness and tests)."""
        return {m: (ts[-1], vs[-1]) for m, (ts, vs) in self._series.items() if ts}


__all__ = ["SeriesStore", "is_stale"]
