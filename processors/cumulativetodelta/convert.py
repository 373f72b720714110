"""Turning a cumulative point into a delta against the previous point of its stream.

``delta_*`` change the point in place, given the previous point (a copy), and return False
when the point cannot be converted (it is then dropped by the caller).
"""

from __future__ import annotations

from typing import Any

__all__ = ["DELTAS", "delta_histogram", "delta_number"]


def _value(point: Any) -> float:
    return float(point.as_int) if point.WhichOneof("value") == "as_int" else point.as_double


def delta_number(point: Any, previous: Any) -> None:
    """value - previous value; a decrease is a reset: the value itself is the delta."""
    if point.WhichOneof("value") == "as_int" and previous.WhichOneof("value") == "as_int":
        diff = point.as_int - previous.as_int
        point.as_int = diff if diff >= 0 else point.as_int
    else:
        fdiff = _value(point) - _value(previous)
        point.as_double = fdiff if fdiff >= 0 else _value(point)


def delta_histogram(point: Any, previous: Any) -> None:
    """Bucket-wise differences; a lower count, a lower bucket or other bounds is a reset
    (the point is kept as it is)."""
    reset = (point.count < previous.count
             or list(point.explicit_bounds) != list(previous.explicit_bounds)
             or len(point.bucket_counts) != len(previous.bucket_counts))
    counts = [] if reset else [a - b for a, b in zip(point.bucket_counts,
                                                      previous.bucket_counts, strict=True)]
    if not reset and min(counts, default=0) >= 0:
        del point.bucket_counts[:]
        point.bucket_counts.extend(counts)
        point.count -= previous.count
        if point.HasField("sum") and previous.HasField("sum"):
            point.sum -= previous.sum
    # cumulative min and max describe the whole series, not this interval
    point.ClearField("min")
    point.ClearField("max")


DELTAS = {"sum": delta_number, "histogram": delta_histogram}
