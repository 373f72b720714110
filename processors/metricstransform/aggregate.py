"""Aggregating data points that share labels and timestamp, as the Collector's
``internal/coreinternal/aggregateutil`` (aggregate.go) does.

Points are grouped by their labels and timestamp (and, for delta sums and histograms, start
time; for histograms also the explicit bounds, min/max presence and flags; for exponential
histograms scale, offsets, min/max presence and flags). Each group becomes one point: the
first point of the group, with the value aggregated and the earliest start time. Numbers
follow the first point's type: doubles aggregate as doubles (ints read as doubles), ints as
int64 (wrapping on overflow; mean and median divide truncating, as Go). ``count`` sets the
value to the group size only when the group has two points or more (a single point keeps its
value, as in the Collector). Histograms merge bucket-wise: count, sum, bucket counts and
exemplars add up, min/max keep the extreme when the first point has them; points with a zero
count are skipped. Summaries are not aggregated. Groups come out in first-seen order (the
Collector's order is Go map order, i.e. unspecified).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality, Metric

from otelpy.pdata.items import point_kind

__all__ = ["copy_details", "filter_labels", "group_points", "merge_groups"]

_DELTA = AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
_I64 = 2**63
_U64 = 2**64
Groups = dict[tuple[Any, ...], list[Any]]


def wrap64(value: int) -> int:
    """Go int64 arithmetic: wrap around on overflow."""
    return (value + _I64) % _U64 - _I64


def go_int(value: float) -> int:
    """Go's ``int64(f)`` on amd64: truncation; NaN and out-of-range give the minimum."""
    if math.isnan(value) or not -_I64 <= value < _I64:
        return -_I64
    return int(value)


def _quo(a: int, n: int) -> int:
    """Go integer division (truncates toward zero)."""
    q = abs(a) // abs(n)
    return q if (a >= 0) == (n > 0) else -q


def copy_details(source: Any) -> Any:
    """A new metric with ``source``'s name, unit, description, type and temporality, no points."""
    metric = Metric(name=source.name, unit=source.unit, description=source.description)
    kind = point_kind(source)
    if kind is None:
        return metric
    getattr(metric, kind).SetInParent()
    data, origin = getattr(metric, kind), getattr(source, kind)
    if kind in ("sum", "histogram", "exponential_histogram"):
        data.aggregation_temporality = origin.aggregation_temporality
    if kind == "sum":
        data.is_monotonic = origin.is_monotonic
    return metric


def filter_labels(metric: Any, keep: list[str] | None) -> None:
    """Keep only the ``keep`` labels on every point (None: leave them; []: drop all)."""
    if keep is None:
        return
    kind = point_kind(metric)
    for point in getattr(metric, kind).data_points if kind else ():
        kept = [kv for kv in point.attributes if kv.key in keep]
        if len(kept) != len(point.attributes):
            kept = [type(kv)(key=kv.key, value=kv.value) for kv in kept]
            del point.attributes[:]
            point.attributes.extend(kept)


def _labels_key(point: Any) -> tuple[tuple[str, bytes], ...]:
    return tuple(sorted((kv.key, kv.value.SerializeToString(deterministic=True))
                        for kv in point.attributes))


def _number_key(point: Any, delta: bool) -> tuple[Any, ...]:
    return (point.start_time_unix_nano if delta else None,)


def _histogram_key(point: Any, delta: bool) -> tuple[Any, ...]:
    return (tuple(point.explicit_bounds), point.start_time_unix_nano if delta else None,
            point.HasField("min"), point.HasField("max"), point.flags)


def _exponential_key(point: Any, delta: bool) -> tuple[Any, ...]:
    return (point.scale, point.HasField("min"), point.HasField("max"), point.flags,
            point.negative.offset, point.positive.offset,
            point.start_time_unix_nano if delta else None)


_KEYS: dict[str, Callable[[Any, bool], tuple[Any, ...]]] = {
    "gauge": _number_key, "sum": _number_key, "histogram": _histogram_key,
    "exponential_histogram": _exponential_key,
}


def group_points(metric: Any, groups: dict[str, Groups]) -> None:
    """Add ``metric``'s points to ``groups`` (per metric kind); summaries are left out."""
    kind = point_kind(metric)
    if kind not in _KEYS:
        return
    data = getattr(metric, kind)
    delta = kind != "gauge" and data.aggregation_temporality == _DELTA
    by_key = groups.setdefault(kind, {})
    for point in data.data_points:
        key = (_labels_key(point), point.time_unix_nano, _KEYS[kind](point, delta))
        by_key.setdefault(key, []).append(point)


def merge_groups(to: Any, aggregation: str, groups: dict[str, Groups]) -> None:
    """One point per group into ``to`` (of ``to``'s kind), aggregated by ``aggregation``."""
    kind = point_kind(to)
    if kind not in _KEYS:
        return
    target = getattr(to, kind).data_points
    merge = _MERGE[kind]
    for points in groups.get(kind, {}).values():
        point = target.add()
        point.CopyFrom(points[0])
        merge(point, points, aggregation)
        for other in points[1:]:
            if other.start_time_unix_nano < point.start_time_unix_nano and \
                    (kind in ("gauge", "sum") or other.count):
                point.start_time_unix_nano = other.start_time_unix_nano


def _double(point: Any) -> float:
    kind = point.WhichOneof("value")
    return float(point.as_int) if kind == "as_int" else float(point.as_double)


def _int(point: Any) -> int:
    return go_int(point.as_double) if point.WhichOneof("value") == "as_double" \
        else int(point.as_int)


def _median(values: list[Any], half: Callable[[Any], Any]) -> Any:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return half(ordered[middle - 1] + ordered[middle])


def _merge_numbers(point: Any, points: list[Any], aggregation: str) -> None:
    if point.WhichOneof("value") == "as_double":
        point.as_double = _aggregate_doubles(point.as_double, points, aggregation)
    elif point.WhichOneof("value") == "as_int":
        point.as_int = _aggregate_ints(point.as_int, points, aggregation)


def _aggregate_doubles(value: float, points: list[Any], aggregation: str) -> float:
    others = [_double(p) for p in points[1:]]
    if aggregation in ("sum", "mean"):
        for other in others:
            value += other
        return value / len(points) if aggregation == "mean" else value
    if aggregation in ("max", "min"):  # Go's math.Max / math.Min: NaN wins
        if any(map(math.isnan, [value, *others])):
            return math.nan
        return max([value, *others]) if aggregation == "max" else min([value, *others])
    if aggregation == "median":
        return float(_median([value, *others], lambda s: s / 2))
    if aggregation == "count" and others:
        return float(len(points))
    return value


def _aggregate_ints(value: int, points: list[Any], aggregation: str) -> int:
    if aggregation in ("sum", "mean"):
        for other in points[1:]:  # the Collector adds IntValue(): 0 for a double point
            value = wrap64(value + int(other.as_int))
        return _quo(value, len(points)) if aggregation == "mean" else value
    others = [_int(p) for p in points[1:]]
    if aggregation == "max":
        return max([value, *others])
    if aggregation == "min":
        return min([value, *others])
    if aggregation == "median":
        return int(_median([value, *others], lambda s: _quo(wrap64(s), 2)))
    if aggregation == "count" and others:
        return len(points)
    return value


def _add_buckets(counts: Any, more: Any) -> None:
    for index, count in enumerate(more):
        if index < len(counts):
            counts[index] = (counts[index] + count) % _U64
        else:
            counts.append(count)


def _merge_histogram_common(point: Any, other: Any) -> None:
    point.count = (point.count + other.count) % _U64
    point.sum = point.sum + other.sum
    if point.HasField("min") and point.min > other.min:
        point.min = other.min
    if point.HasField("max") and point.max < other.max:
        point.max = other.max
    point.exemplars.extend(other.exemplars)


def _merge_histograms(point: Any, points: list[Any], _aggregation: str) -> None:
    for other in points[1:]:
        if other.count == 0:
            continue
        _merge_histogram_common(point, other)
        _add_buckets(point.bucket_counts, other.bucket_counts)


def _merge_exponential(point: Any, points: list[Any], _aggregation: str) -> None:
    for other in points[1:]:
        if other.count == 0:
            continue
        _merge_histogram_common(point, other)
        point.zero_count = (point.zero_count + other.zero_count) % _U64
        _add_buckets(point.negative.bucket_counts, other.negative.bucket_counts)
        _add_buckets(point.positive.bucket_counts, other.positive.bucket_counts)


_MERGE: dict[str, Callable[[Any, list[Any], str], None]] = {
    "gauge": _merge_numbers, "sum": _merge_numbers, "histogram": _merge_histograms,
    "exponential_histogram": _merge_exponential,
}
