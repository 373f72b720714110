"""histogram_quantile over classic ``le`` buckets, with Prometheus 2.42's bucket fixing
(coalescing equal bounds, forcing monotonic counts)."""

from __future__ import annotations

import math
from bisect import bisect_left

from otelpy.promql.values import Labels, Sample, Vector


def _parse_le(text: str) -> float | None:
    """Go's ``strconv.ParseFloat`` on an ``le`` value (``+Inf``, ``1e3``, ``0x10`` ...)."""
    t = text.strip() if text == text.strip() else None
    if t is None or t == "":
        return None
    low = t.lower().lstrip("+-")
    if low in ("inf", "infinity"):
        return -math.inf if t.startswith("-") else math.inf
    if low == "nan":
        return math.nan
    try:
        if "_" in t:
            return None
        return float(t)
    except ValueError:
        try:
            return float.fromhex(t) if "x" in low and "p" in low else float(int(t, 16))
        except ValueError:
            return None


def bucket_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    buckets = sorted(buckets, key=lambda b: b[0])
    if not math.isinf(buckets[-1][0]) or buckets[-1][0] < 0:
        return math.nan
    merged: list[list[float]] = []
    for bound, count in buckets:
        if merged and merged[-1][0] == bound:
            merged[-1][1] += count
        else:
            merged.append([bound, count])
    top = merged[0][1]
    for b in merged[1:]:
        if b[1] > top:
            top = b[1]
        elif b[1] < top:
            b[1] = top
    if len(merged) < 2:
        return math.nan
    observations = merged[-1][1]
    if observations == 0:
        return math.nan
    rank = q * observations
    counts = [b[1] for b in merged[:-1]]
    i = _search(counts, rank)
    if i == len(merged) - 1:
        return merged[-2][0]
    if i == 0 and merged[0][0] <= 0:
        return merged[0][0]
    start, end, count = 0.0, merged[i][0], merged[i][1]
    if i > 0:
        start = merged[i - 1][0]
        count -= merged[i - 1][1]
        rank -= merged[i - 1][1]
    return start + (end - start) * (rank / count) if count else math.nan


def _search(counts: list[float], rank: float) -> int:
    """``sort.Search``: the first index whose count >= rank (counts are monotonic)."""
    if any(math.isnan(c) for c in counts):
        lo, hi = 0, len(counts)
        while lo < hi:
            mid = (lo + hi) // 2
            if not counts[mid] >= rank:
                lo = mid + 1
            else:
                hi = mid
        return lo
    return bisect_left(counts, rank)


def histogram_quantile(q: float, vec: Vector) -> Vector:
    """One sample per bucket group (labels without ``le`` and the metric name)."""
    groups: dict[Labels, tuple[Labels, list[tuple[float, float]]]] = {}
    for s in vec:
        le_text = next((v for k, v in s.metric if k == "le"), "")
        bound = _parse_le(le_text)
        if bound is None:
            continue
        key = tuple(p for p in s.metric if p[0] != "le")
        entry = groups.get(key)
        if entry is None:
            out_metric = tuple(p for p in key if p[0] != "__name__")
            entry = groups[key] = (out_metric, [])
        entry[1].append((bound, s.v))
    return Vector(Sample(metric, bucket_quantile(q, buckets))
                  for metric, buckets in groups.values())
