"""Exponential histogram buckets: merging (with downscaling) and conversion to classic buckets.

An OTLP exponential histogram of scale ``s`` has ``base = 2 ** (2 ** -s)``; positive bucket
``i`` counts values in ``(base**i, base**(i+1)]`` and negative bucket ``i`` values in
``[-base**(i+1), -base**i)``. Buckets are an ``offset`` and a list of counts.

Text and OpenMetrics have no native histograms, so an exponential histogram is exposed
*converted*: one cumulative ``le`` bucket per exponential bucket, from the first to the last
non-empty one
(negative buckets first, with ``le = -base**i``; then the zero bucket, ``le`` = the zero
threshold; then positive buckets, ``le = base**(i+1)``), then ``+Inf`` = the count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["add_buckets", "classic_buckets", "downscale", "lower_bound"]


def lower_bound(index: int, scale: int) -> float:
    """``base ** index`` for the scale: exact powers of two for scale <= 0."""
    if scale <= 0:
        return math.ldexp(1.0, index << -scale)
    return float(2.0 ** (index / (1 << scale)))


def downscale(offset: int, counts: Sequence[int], by: int) -> tuple[int, list[int]]:
    """The buckets at a scale ``by`` lower: bucket ``i`` goes to ``i >> by``."""
    if by <= 0 or not counts:
        return offset, list(counts)
    first = offset >> by
    out = [0] * (((offset + len(counts) - 1) >> by) - first + 1)
    for i, count in enumerate(counts):
        out[((offset + i) >> by) - first] += count
    return first, out


def add_buckets(a_offset: int, a: Sequence[int],
                b_offset: int, b: Sequence[int]) -> tuple[int, list[int]]:
    """The element-wise sum of two bucket ranges of the same scale."""
    if not a:
        return b_offset, list(b)
    if not b:
        return a_offset, list(a)
    low = min(a_offset, b_offset)
    out = [0] * (max(a_offset + len(a), b_offset + len(b)) - low)
    for i, count in enumerate(a):
        out[a_offset - low + i] += count
    for i, count in enumerate(b):
        out[b_offset - low + i] += count
    return low, out


def classic_buckets(scale: int, zero_count: int, zero_threshold: float,
                    positive: tuple[int, Sequence[int]],
                    negative: tuple[int, Sequence[int]]) -> list[tuple[float, int]]:
    """Cumulative ``(le, count)`` pairs in increasing ``le`` (``+Inf`` excluded)."""
    out: list[tuple[float, int]] = []
    total = 0
    neg_offset, neg = _populated(*negative)
    for k in range(len(neg) - 1, -1, -1):
        total += neg[k]
        _append(out, -lower_bound(neg_offset + k, scale), total)
    if zero_count or neg:
        total += zero_count
        _append(out, zero_threshold, total)
    pos_offset, pos = _populated(*positive)
    for k, count in enumerate(pos):
        total += count
        _append(out, lower_bound(pos_offset + k + 1, scale), total)
    return out


def _populated(offset: int, counts: Sequence[int]) -> tuple[int, Sequence[int]]:
    """The range from the first to the last non-zero bucket (empty when all are zero)."""
    first = next((i for i, c in enumerate(counts) if c), None)
    if first is None:
        return offset, ()
    last = len(counts) - next(i for i, c in enumerate(reversed(counts)) if c)
    return offset + first, counts[first:last]


def _append(out: list[tuple[float, int]], le: float, total: int) -> None:
    if out and le <= out[-1][0]:  # a zero threshold reaching into a bucket: merge them
        out[-1] = (out[-1][0], total)
    else:
        out.append((le, total))
