"""``drift``: how far the distribution of the last ``recent`` values has moved from the
``reference`` values before them (ML model metrics: scores, latencies, feature values).

The score is the two-sample Kolmogorov-Smirnov statistic D in [0, 1] (largest gap between
the two empirical CDFs); the population stability index over ``bins`` reference-quantile bins
is kept as ``psi`` (rule of thumb: < 0.1 stable, 0.1-0.25 moderate, > 0.25 significant).
Both are recomputed every ``every`` points (O(n log n)); between, the last value is returned.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import asdict, dataclass
from typing import Any

from otelpy.anomaly.windows import SortedWindow


@dataclass(frozen=True)
class DriftParams:
    recent: int = 100
    reference: int = 500
    bins: int = 10
    every: int = 10


def ks_statistic(a: list[float], b: list[float]) -> float:
    """Two-sample KS D of two sorted, non-empty lists."""
    i = j = 0
    gap = 0.0
    while i < len(a) and j < len(b):
        x = a[i] if a[i] <= b[j] else b[j]
        while i < len(a) and a[i] == x:
            i += 1
        while j < len(b) and b[j] == x:
            j += 1
        gap = max(gap, abs(i / len(a) - j / len(b)))
    return gap


def psi(reference: list[float], recent: list[float], bins: int) -> float:
    """Population stability index of ``recent`` against ``reference`` (both sorted)."""
    edges = sorted({reference[min(len(reference) - 1, k * len(reference) // bins)]
                    for k in range(1, bins)})
    total = 0.0
    for lo, hi in zip([-math.inf, *edges], [*edges, math.inf], strict=True):
        expected = _share(reference, lo, hi)
        actual = _share(recent, lo, hi)
        total += (actual - expected) * math.log(actual / expected)
    return total


def _share(ordered: list[float], lo: float, hi: float) -> float:
    count = bisect_right(ordered, hi) - bisect_right(ordered, lo)
    return max(count / len(ordered), 1e-4)


class DriftDetector:
    """Memory: ``recent`` + ``reference`` values (each kept twice: arrival order and sorted)."""

    method = "drift"
    Params = DriftParams

    def __init__(self, params: DriftParams | None = None) -> None:
        p = self.params = params or DriftParams()
        self.recent = SortedWindow(p.recent)
        self.reference = SortedWindow(p.reference)
        self.last = 0.0
        self.psi = 0.0
        self.count = 0

    def score(self, value: float, timestamp: float = 0.0) -> float:
        if not math.isfinite(value):
            return self.last
        p = self.params
        if len(self.recent) == p.recent:
            self.reference.push(self.recent.values[0])
        self.recent.push(value)
        self.count += 1
        if len(self.reference) >= p.recent and self.count % p.every == 0:
            self.last = ks_statistic(self.reference.ordered, self.recent.ordered)
            self.psi = psi(self.reference.ordered, self.recent.ordered, p.bins)
        return self.last

    def expected_range(self, timestamp: float = 0.0) -> tuple[float, float]:
        """The 1st and 99th percentile of the reference window (NaN before any)."""
        if not len(self.reference):
            return math.nan, math.nan
        return self.reference.quantile(0.01), self.reference.quantile(0.99)

    def dump(self) -> dict[str, Any]:
        return {"params": asdict(self.params), "recent": self.recent.dump(),
                "reference": self.reference.dump(), "last": self.last, "psi": self.psi,
                "count": self.count}

    @classmethod
    def load(cls, state: dict[str, Any]) -> DriftDetector:
        detector = cls(DriftParams(**state["params"]))
        detector.recent = SortedWindow(detector.params.recent, state["recent"])
        detector.reference = SortedWindow(detector.params.reference, state["reference"])
        detector.last, detector.psi, detector.count = state["last"], state["psi"], state["count"]
        return detector
