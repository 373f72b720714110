"""``robust``: median and MAD of recent values, optionally per hour of the day or of the week.

Score: ``z / (z + 3)`` of the robust z-score ``z = |x - median| / (1.4826 MAD)``: 0.5 at three
robust deviations, 0.75 at nine; it never saturates, so one threshold ranks all series. With
``season: daily`` (or ``weekly``) each hour of the day (of the week) keeps its own last
``per_bucket`` values, so a daily peak is compared with earlier peaks at that hour.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from otelpy.anomaly.windows import SortedWindow

BUCKETS = {"none": (1, 0.0), "daily": (24, 3600.0), "weekly": (168, 3600.0)}


@dataclass(frozen=True)
class RobustParams:
    window: int = 200  # values kept per bucket without seasonality
    per_bucket: int = 30  # values kept per hour bucket with seasonality
    season: str = "none"  # none | daily | weekly
    min_points: int = 10  # values a bucket needs before it scores


class RobustDetector:
    """Memory: ``window`` values, or ``per_bucket`` values for each of 24 / 168 buckets."""

    method = "robust"
    Params = RobustParams

    def __init__(self, params: RobustParams | None = None) -> None:
        p = self.params = params or RobustParams()
        if p.season not in BUCKETS:
            raise ValueError(f"season must be one of {', '.join(BUCKETS)}, not {p.season!r}")
        count, _ = BUCKETS[p.season]
        size = p.window if count == 1 else p.per_bucket
        self.buckets = [SortedWindow(size) for _ in range(count)]

    def _bucket(self, timestamp: float) -> SortedWindow:
        count, width = BUCKETS[self.params.season]
        if count == 1:
            return self.buckets[0]
        # Unix epoch was a Thursday: shift so bucket 0 is Monday 00:00 UTC.
        return self.buckets[int((timestamp + 3 * 86400) // width) % count]

    def score(self, value: float, timestamp: float = 0.0) -> float:
        """Score in [0, 1]; NaN/inf score 0 and are not learned."""
        if not math.isfinite(value):
            return 0.0
        bucket = self._bucket(timestamp)
        result = 0.0
        if len(bucket) >= self.params.min_points:
            median = bucket.quantile(0.5)
            deviations = sorted(abs(v - median) for v in bucket.ordered)
            mad = deviations[len(deviations) // 2] * 1.4826
            scale = mad if mad > 0 else max(abs(median) * 1e-3, 1e-9)
            z = abs(value - median) / scale
            result = z / (z + 3.0)
        bucket.push(value)
        return result

    def learned(self, timestamp: float = 0.0) -> int:
        """How many values the bucket of ``timestamp`` holds."""
        return len(self._bucket(timestamp))

    def expected_range(self, timestamp: float = 0.0, z: float = 3.0) -> tuple[float, float]:
        """median -/+ z robust deviations for the bucket of ``timestamp`` (NaN when empty)."""
        bucket = self._bucket(timestamp)
        if not len(bucket):
            return math.nan, math.nan
        median = bucket.quantile(0.5)
        mad = sorted(abs(v - median) for v in bucket.ordered)[len(bucket) // 2] * 1.4826
        return median - z * mad, median + z * mad

    def dump(self) -> dict[str, Any]:
        return {"params": asdict(self.params), "buckets": [b.dump() for b in self.buckets]}

    @classmethod
    def load(cls, state: dict[str, Any]) -> RobustDetector:
        detector = cls(RobustParams(**state["params"]))
        size = detector.buckets[0].size
        detector.buckets = [SortedWindow(size, values) for values in state["buckets"]]
        return detector
