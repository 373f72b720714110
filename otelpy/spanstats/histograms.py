"""Histogram accumulators that fill OTLP ``HistogramDataPoint`` and
``ExponentialHistogramDataPoint`` messages, with bounded exemplars.

:class:`ExplicitHistogram` counts values into fixed upper-inclusive bounds (``le``).
:class:`ExponentialHistogram` keeps base-2 exponential buckets starting at scale 20 and
halving the resolution (scale - 1) whenever the populated range would need more than
``max_size`` buckets, as the Go Collector's ``go-expohisto`` does; zero goes to the zero bucket.
Negative values do not occur for durations and are counted in the zero bucket.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Exemplar", "ExplicitHistogram", "ExponentialHistogram", "Exemplars"]

MAX_SCALE = 20
MIN_SCALE = -10


@dataclass(frozen=True, slots=True)
class Exemplar:
    trace_id: bytes
    span_id: bytes
    value: float
    time_unix_nano: int


class Exemplars:
    """At most ``limit`` exemplars, the first ones offered since the last :meth:`clear`;
    ``dropped`` counts the ones refused."""

    __slots__ = ("items", "limit", "dropped")

    def __init__(self, limit: int) -> None:
        self.items: list[Exemplar] = []
        self.limit = limit
        self.dropped = 0

    def offer(self, exemplar: Exemplar) -> None:
        if len(self.items) < self.limit:
            self.items.append(exemplar)
        else:
            self.dropped += 1

    def clear(self) -> None:
        self.items.clear()

    def fill(self, repeated: Any, as_int: bool = False) -> None:
        for ex in self.items:
            out = repeated.add(trace_id=ex.trace_id, span_id=ex.span_id,
                               time_unix_nano=ex.time_unix_nano)
            if as_int:
                out.as_int = int(ex.value)
            else:
                out.as_double = ex.value


class ExplicitHistogram:
    """Counts per upper-inclusive bound, plus sum, count, min and max."""

    __slots__ = ("bounds", "counts", "sum", "count", "min", "max")

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0
        self.count = 0
        self.min = math.inf
        self.max = -math.inf

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value

    def observe_many(self, values: Sequence[float]) -> None:
        """:meth:`observe` each of ``values`` (one call per batch, not per value)."""
        if not values:
            return
        counts, bounds, find = self.counts, self.bounds, bisect.bisect_left
        for value in values:
            counts[find(bounds, value)] += 1
        self.sum += math.fsum(values)
        self.count += len(values)
        self.min = min(self.min, min(values))
        self.max = max(self.max, max(values))

    def add_counted(self, counts: Sequence[int], values: Sequence[float]) -> None:
        """:meth:`observe_many` of ``values`` whose bucket counts (against these bounds,
        ``len(bounds) + 1`` of them) were already made, e.g. in C."""
        if not values:
            return
        mine = self.counts
        for i, n in enumerate(counts):
            if n:
                mine[i] += n
        self.sum += math.fsum(values)
        self.count += len(values)
        self.min = min(self.min, min(values))
        self.max = max(self.max, max(values))

    def fill(self, point: Any) -> None:
        """Write count, sum, min, max, bounds and bucket counts into a HistogramDataPoint."""
        point.count = self.count
        point.sum = self.sum
        if self.count:
            point.min = self.min
            point.max = self.max
        point.explicit_bounds.extend(self.bounds)
        point.bucket_counts.extend(self.counts)


def _index(value: float, scale: int) -> int:
    """The bucket holding ``value`` (> 0): ``(base**i, base**(i+1)]``."""
    if scale <= 0:
        mantissa, exp = math.frexp(value)  # value = mantissa * 2**exp, mantissa in [0.5, 1)
        i = exp - 1 if mantissa != 0.5 else exp - 2  # exact powers of two: lower bucket
        return i >> -scale
    return math.ceil(math.log2(value) * (1 << scale)) - 1


class ExponentialHistogram:
    """Base-2 exponential buckets for positive values, at most ``max_size`` of them."""

    __slots__ = ("max_size", "scale", "buckets", "zero_count", "sum", "count", "min", "max")

    def __init__(self, max_size: int = 160) -> None:
        self.max_size = max(max_size, 2)
        self.scale = MAX_SCALE
        self.buckets: dict[int, int] = {}
        self.zero_count = 0
        self.sum = 0.0
        self.count = 0
        self.min = math.inf
        self.max = -math.inf

    def observe(self, value: float) -> None:
        self.count += 1
        self.sum += value
        self.min = min(self.min, value)
        self.max = max(self.max, value)
        if value <= 0:
            self.zero_count += 1
            return
        index = _index(value, self.scale)
        buckets = self.buckets
        if index not in buckets and buckets:
            low, high = min(min(buckets), index), max(max(buckets), index)
            by = 0
            while ((high >> by) - (low >> by) + 1 > self.max_size
                   and self.scale - by > MIN_SCALE):
                by += 1
            if by:
                self._downscale(by)
                index >>= by
        buckets[index] = buckets.get(index, 0) + 1

    def observe_many(self, values: Sequence[float]) -> None:
        """:meth:`observe` each of ``values``."""
        for value in values:
            self.observe(value)

    def _downscale(self, by: int) -> None:
        merged: dict[int, int] = {}
        for i, c in self.buckets.items():
            merged[i >> by] = merged.get(i >> by, 0) + c
        self.buckets = merged
        self.scale -= by

    def fill(self, point: Any) -> None:
        """Write scale, counts, sum, min, max and buckets into an ExponentialHistogramDataPoint."""
        point.count = self.count
        point.sum = self.sum
        point.scale = self.scale
        point.zero_count = self.zero_count
        if self.count:
            point.min = self.min
            point.max = self.max
        if self.buckets:
            low, high = min(self.buckets), max(self.buckets)
            point.positive.offset = low
            point.positive.bucket_counts.extend(
                self.buckets.get(i, 0) for i in range(low, high + 1))
