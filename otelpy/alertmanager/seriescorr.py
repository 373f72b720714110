"""How alike two alerts' underlying series move: Pearson's correlation of their values on a
common time grid.

Each alert carries its value at its latest evaluations (``Alert.series``: Unix seconds and
value). Both series are cut into buckets of ``step`` seconds aligned to the epoch (the mean
of each bucket, so rules evaluated at different intervals or offsets line up) and compared on
the buckets both have. Fewer than ``min_points`` common buckets, or a constant series, gives
no answer: labels alone decide then.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

__all__ = ["series_correlation"]


def _buckets(series: Sequence[tuple[float, float]], step: float) -> dict[int, float]:
    sums: dict[int, list[float]] = {}
    for t, v in series:
        sums.setdefault(int(t // step), []).append(v)
    return {k: sum(vs) / len(vs) for k, vs in sums.items()}


def series_correlation(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]],
                       step: float, min_points: int) -> float | None:
    """Pearson's r of ``a`` and ``b`` over their common ``step``-second buckets, or None."""
    if len(a) < min_points or len(b) < min_points:
        return None
    left, right = _buckets(a, step), _buckets(b, step)
    common = sorted(left.keys() & right.keys())
    if len(common) < max(2, min_points):
        return None
    try:
        return statistics.correlation([left[k] for k in common], [right[k] for k in common])
    except statistics.StatisticsError:  # a constant series
        return None
