"""OTLP metrics -> Datadog series, as Datadog's exporter maps them
(DataDog/opentelemetry-mapping-go, ``pkg/otlp/metrics``):

* gauges, non-monotonic cumulative sums (and monotonic ones with ``raw_value``): gauge;
* delta sums: count; cumulative monotonic sums (``to_delta``): count of the difference from
  the previous point (a first point per ``initial_cumulative_monotonic_value``; a decrease or
  a new start time is a reset, whose value is not sent; a point not after the previous one
  is dropped);
* histograms (``counters``): ``<name>.bucket`` counts tagged lower_bound / upper_bound,
  cumulative ones as differences; ``send_aggregation_metrics``: ``.count``, ``.sum``
  (counts) and for deltas ``.min`` / ``.max`` (gauges);
* summaries: ``.count`` / ``.sum`` counts of differences, ``.quantile`` gauges (``gauges``);
* NaN and infinite values are skipped; exponential histograms are not sent (Datadog's
  exporter sends them only as sketches).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from otelpy.exporters.datadog.config import MetricsSettings
from otelpy.exporters.datadog.tags import host_of, resource_tags
from otelpy.metricstreams import StreamTable
from otelpy.pdata import items
from otelpy.pdata.asstring import as_string
from otelpy.pdata.values import to_value

__all__ = ["Series", "Translator"]

CUMULATIVE = 2
DELTA = 1


@dataclass(frozen=True)
class Series:
    name: str
    type: str  # "gauge" | "count"
    timestamp: int  # seconds
    value: float
    tags: tuple[str, ...]
    host: str


@dataclass
class _Previous:
    start: int
    time: int
    value: float


def format_bound(f: float) -> str:
    """mapping-go's formatFloat: inf / -inf, whole numbers with ``.0``."""
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    if f == 0:
        return "0"
    text = repr(f) if abs(f) < 1e21 else f"{f:g}"
    return text if "." in text or "e" in text else text + ".0"


class Translator:
    """Keeps the previous point of every cumulative series (bounded, ``delta_ttl``)."""

    def __init__(self, cfg: MetricsSettings, fallback_host: str, started_ns: int) -> None:
        self.cfg = cfg
        self.fallback_host = fallback_host
        self.started_ns = started_ns
        self.previous: StreamTable[_Previous] = StreamTable(cfg.max_series, cfg.delta_ttl)
        self.skipped = 0

    def _diff(self, key: tuple[Any, ...], start: int, time: int, value: float, now: float,
              monotonic: bool) -> tuple[float | None, bool]:
        """(difference or None, is a first point), storing the point (mapping-go's ttlCache)."""
        prev = self.previous.get(key)
        if prev is None:
            if not self.previous.admit(key):
                self.skipped += 1
                return None, False
            self.previous.put(key, _Previous(start, time, value), now)
            return None, True
        if prev.time > time or (monotonic and prev.time == time):
            return None, False  # older than what we have: dropped, state kept
        same_series = start == 0 or (start != time and start == prev.start)
        self.previous.put(key, _Previous(start, time, value), now)
        dx = value - prev.value
        if monotonic and (not same_series or dx < 0):
            return None, True
        return (dx, False) if same_series else (None, True)

    def _keep_initial(self, start: int, time: int) -> bool:
        mode = self.cfg.sums.initial_cumulative_monotonic_value
        if mode != "auto":
            return mode == "keep"
        return self.started_ns < start and start != time

    def series(self, request: Any, now: float) -> Iterator[Series]:
        """The series of every data point of ``request``; ``now`` is the monotonic time."""
        self.previous.expire(now)
        context: dict[int, tuple[tuple[str, ...], str]] = {}
        for res, scope, metric in items.metrics(request):
            ctx = context.get(id(res))
            if ctx is None:
                ctx = context[id(res)] = (
                    resource_tags(res.resource.attributes, self.cfg.resource_attributes_as_tags),
                    host_of(res.resource.attributes, self.fallback_host))
            tags, host = ctx
            if self.cfg.instrumentation_scope_metadata_as_tags:
                tags = (*tags, f"instrumentation_scope:{scope.scope.name}",
                        f"instrumentation_scope_version:{scope.scope.version}")
            yield from self._metric(metric, tags, host, now)

    def _metric(self, metric: Any, tags: tuple[str, ...], host: str,
                now: float) -> Iterator[Series]:
        kind = items.point_kind(metric)
        if kind is None or kind == "exponential_histogram":
            self.skipped += len(getattr(metric, kind).data_points) if kind else 0
            return
        data = getattr(metric, kind)
        for point in data.data_points:
            ptags = (*tags, *(f"{kv.key}:{as_string(to_value(kv.value))}"
                              for kv in point.attributes))
            ts = point.time_unix_nano // 1_000_000_000
            if kind == "gauge":
                yield from _number(metric.name, "gauge", ts, point, ptags, host)
            elif kind == "sum":
                yield from self._sum(metric.name, data, ts, point, ptags, host, now)
            elif kind == "histogram":
                yield from self._histogram(metric.name, data, ts, point, ptags, host, now)
            elif kind == "summary":
                yield from self._summary(metric.name, ts, point, ptags, host, now)

    def _sum(self, name: str, data: Any, ts: int, point: Any, tags: tuple[str, ...],
             host: str, now: float) -> Iterator[Series]:
        temporality = data.aggregation_temporality
        if temporality == DELTA:
            yield from _number(name, "count", ts, point, tags, host)
        elif temporality != CUMULATIVE:
            return
        elif not data.is_monotonic or self.cfg.sums.cumulative_monotonic_mode == "raw_value":
            yield from _number(name, "gauge", ts, point, tags, host)
        else:
            value = _point_value(point)
            if value is None or not math.isfinite(value):
                return
            start, time = point.start_time_unix_nano, point.time_unix_nano
            dx, first = self._diff((name, host, tags), start, time, value, now, True)
            if dx is not None:
                yield Series(name, "count", ts, dx, tags, host)
            elif first and self._keep_initial(start, time):
                yield Series(name, "count", ts, value, tags, host)

    def _counted(self, name: str, delta: bool, ts: int, point: Any, value: float,
                 tags: tuple[str, ...], host: str, now: float) -> Series | None:
        if not math.isfinite(value):
            return None
        if delta:
            return Series(name, "count", ts, value, tags, host)
        dx, _ = self._diff((name, host, tags), point.start_time_unix_nano,
                           point.time_unix_nano, value, now, False)
        return None if dx is None else Series(name, "count", ts, dx, tags, host)

    def _histogram(self, name: str, data: Any, ts: int, point: Any, tags: tuple[str, ...],
                   host: str, now: float) -> Iterator[Series]:
        if data.aggregation_temporality not in (DELTA, CUMULATIVE):
            return
        delta = data.aggregation_temporality == DELTA
        h = self.cfg.histograms
        if h.send_aggregation_metrics or h.send_count_sum_metrics:
            count = self._counted(f"{name}.count", delta, ts, point, float(point.count), tags,
                                  host, now)
            total = self._counted(f"{name}.sum", delta, ts, point, point.sum, tags, host, now)
            if count is not None and total is not None:
                yield from (count, total)
                for extreme in ("min", "max") if delta else ():
                    if point.HasField(extreme):
                        yield Series(f"{name}.{extreme}", "gauge", ts,
                                     getattr(point, extreme), tags, host)
        if h.mode != "counters":
            return
        bounds = list(point.explicit_bounds)
        for i, count in enumerate(point.bucket_counts):
            low = bounds[i - 1] if i > 0 else -math.inf
            high = bounds[i] if i < len(bounds) else math.inf
            btags = (*tags, f"lower_bound:{format_bound(low)}",
                     f"upper_bound:{format_bound(high)}")
            bucket = self._counted(f"{name}.bucket", delta, ts, point, float(count), btags,
                                   host, now)
            if bucket is not None:
                yield bucket

    def _summary(self, name: str, ts: int, point: Any, tags: tuple[str, ...], host: str,
                 now: float) -> Iterator[Series]:
        for suffix, value in (("count", float(point.count)), ("sum", point.sum)):
            series = self._counted(f"{name}.{suffix}", False, ts, point, value, tags, host,
                                   now)
            if series is not None:
                yield series
        if self.cfg.summaries.mode == "gauges":
            for q in point.quantile_values:
                if math.isfinite(q.value):
                    yield Series(f"{name}.quantile", "gauge", ts, q.value,
                                 (*tags, f"quantile:{format_bound(q.quantile)}"), host)


def _point_value(point: Any) -> float | None:
    which = point.WhichOneof("value")
    return None if which is None else float(getattr(point, which))


def _number(name: str, type_: str, ts: int, point: Any, tags: tuple[str, ...],
            host: str) -> Iterator[Series]:
    value = _point_value(point)
    if value is not None and math.isfinite(value):
        yield Series(name, type_, ts, value, tags, host)
