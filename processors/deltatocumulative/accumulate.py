"""Adding a delta point into the cumulative state of its stream, per data kind.

Each ``add_*`` changes ``state`` (a copy of the stream's first point, accumulated since) in
place and returns True, or returns False when the two cannot be added (histogram bounds
differ): the caller then restarts the stream from the new point.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ADDERS", "add_exponential", "add_histogram", "add_number"]


def add_number(state: Any, point: Any) -> bool:
    """Sum of two NumberDataPoints; int + int stays int, anything else becomes double."""
    if state.WhichOneof("value") == "as_int" and point.WhichOneof("value") == "as_int":
        state.as_int = state.as_int + point.as_int
    else:
        state.as_double = _number(state) + _number(point)
    return True


def _number(point: Any) -> float:
    return float(point.as_int) if point.WhichOneof("value") == "as_int" else point.as_double


def _add_extremes_and_sum(state: Any, point: Any) -> None:
    state.count += point.count
    if point.HasField("sum"):
        state.sum = (state.sum if state.HasField("sum") else 0.0) + point.sum
    if point.HasField("min"):
        state.min = min(state.min, point.min) if state.HasField("min") else point.min
    if point.HasField("max"):
        state.max = max(state.max, point.max) if state.HasField("max") else point.max


def add_histogram(state: Any, point: Any) -> bool:
    """Bucket-wise sum of two explicit-bucket histograms with the same bounds."""
    if list(state.explicit_bounds) != list(point.explicit_bounds) or \
            len(state.bucket_counts) != len(point.bucket_counts):
        return False
    counts = [a + b for a, b in zip(state.bucket_counts, point.bucket_counts, strict=True)]
    del state.bucket_counts[:]
    state.bucket_counts.extend(counts)
    _add_extremes_and_sum(state, point)
    return True


def _buckets_at(buckets: Any, scale: int, target: int) -> dict[int, int]:
    shift = scale - target
    out: dict[int, int] = {}
    for j, count in enumerate(buckets.bucket_counts):
        if count:
            index = (buckets.offset + j) >> shift
            out[index] = out.get(index, 0) + count
    return out


def _store_buckets(buckets: Any, counts: dict[int, int]) -> None:
    del buckets.bucket_counts[:]
    if not counts:
        buckets.offset = 0
        return
    low, high = min(counts), max(counts)
    buckets.offset = low
    buckets.bucket_counts.extend(counts.get(i, 0) for i in range(low, high + 1))


def add_exponential(state: Any, point: Any) -> bool:
    """Sum of two exponential histograms at the coarser of their two scales."""
    target = min(state.scale, point.scale)
    for side in ("positive", "negative"):
        merged = _buckets_at(getattr(state, side), state.scale, target)
        for index, count in _buckets_at(getattr(point, side), point.scale, target).items():
            merged[index] = merged.get(index, 0) + count
        _store_buckets(getattr(state, side), merged)
    state.scale = target
    state.zero_count += point.zero_count
    state.zero_threshold = max(state.zero_threshold, point.zero_threshold)
    _add_extremes_and_sum(state, point)
    return True


ADDERS = {"sum": add_number, "histogram": add_histogram,
          "exponential_histogram": add_exponential}
