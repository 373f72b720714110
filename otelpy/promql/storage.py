"""An in-memory series store: label set -> time-sorted (t_ms, value) samples.

This is the interface the evaluator reads; the alerting connector and the rule unit tester
append to it. ``visible_until`` hides samples after a time (promtool loads input samples
lazily, up to the evaluation time).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from otelpy.promql.ast import Matcher
from otelpy.promql.values import Labels, get, is_stale


class SeriesStore:
    """Series by label set, each with parallel ascending ``ts`` (ms) and ``vs`` lists."""

    def __init__(self) -> None:
        self._series: dict[Labels, tuple[list[int], list[float]]] = {}
        self._by_name: dict[str, set[Labels]] = {}
        self.visible_until: int | None = None

    def __len__(self) -> int:
        return len(self._series)

    def append(self, metric: Labels, t: int, v: float) -> bool:
        """Add one sample; False (and nothing stored) when ``t`` is not after the series'
        last sample, as the TSDB refuses out-of-order and duplicate samples."""
        entry = self._series.get(metric)
        if entry is None:
            entry = ([], [])
            self._series[metric] = entry
            self._by_name.setdefault(get(metric, "__name__"), set()).add(metric)
        ts, vs = entry
        if ts and t <= ts[-1]:
            return False
        ts.append(t)
        vs.append(v)
        return True

    def select(self, matchers: list[Matcher]) -> list[tuple[Labels, list[int], list[float]]]:
        """Series matching every matcher, sorted by label set, with their samples."""
        candidates: object = self._series.keys()
        for m in matchers:
            if m.name == "__name__" and m.op == "=":
                candidates = self._by_name.get(m.value, set())
                break
        out = []
        for metric in sorted(candidates):  # type: ignore[call-overload]
            if all(m.matches(get(metric, m.name)) for m in matchers):
                ts, vs = self._series[metric]
                out.append((metric, ts, vs))
        return out

    def remove(self, metric: Labels) -> bool:
        """Forget one series; False when it was not stored."""
        if self._series.pop(metric, None) is None:
            return False
        names = self._by_name.get(get(metric, "__name__"))
        if names is not None:
            names.discard(metric)
            if not names:
                del self._by_name[get(metric, "__name__")]
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
