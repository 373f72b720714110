"""The span analytics window: per time bucket and per (service, operation), a DDSketch of
durations, counts, errors and the slowest spans; per bucket and edge, calls and durations.

Spans are filed by arrival time (``clock.time_ns()``) into buckets of ``resolution``
seconds. Buckets older than ``window`` are evicted (their spans counted in
``evicted_spans``). A span of a new (service, operation) pair once ``max_operations`` pairs
are held in the window is not kept (counted in ``refused_spans``). Durations go into a
:class:`ddsketch.DDSketch` with ``relative_accuracy`` (quantiles within that relative error
of an exact quantile); sketches of buckets merge at query time.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from ddsketch import DDSketch

from otelpy.pdata import Batch, items
from otelpy.pdata.ids import hex_id
from otelpy.pdata.values import to_value
from otelpy.spanstats.edges import DEFAULT_PEER_ATTRIBUTES, Edge, EdgeTracker
from otelpy.spanstats.spans import STATUS_ERROR, duration_ns, service_name

__all__ = ["AnalyticsLimits", "OperationStats", "EdgeStats", "SlowSpan", "SpanWindow"]


@dataclass(frozen=True)
class AnalyticsLimits:
    window: float = 3600.0
    resolution: float = 60.0
    max_operations: int = 1000
    slowest: int = 10
    relative_accuracy: float = 0.01
    store_max_items: int = 10_000
    store_ttl: float = 2.0
    peer_attributes: tuple[str, ...] = DEFAULT_PEER_ATTRIBUTES


@dataclass(order=True, frozen=True)
class SlowSpan:
    duration_ms: float
    trace_id: str = field(compare=False)
    span_id: str = field(compare=False)
    error: str | None = field(compare=False)
    service: str = field(compare=False)
    operation: str = field(compare=False)


class OperationStats:
    """One (service, operation) in one bucket."""

    __slots__ = ("sketch", "count", "sum_ms", "errors", "slowest", "keep")

    def __init__(self, accuracy: float, keep: int) -> None:
        self.sketch = DDSketch(accuracy)
        self.count = 0
        self.sum_ms = 0.0
        self.errors = 0
        self.slowest: list[SlowSpan] = []  # a min-heap of the ``keep`` slowest
        self.keep = keep

    def add(self, duration_ms: float, error: bool, slow: SlowSpan | None) -> None:
        self.sketch.add(duration_ms)
        self.count += 1
        self.sum_ms += duration_ms
        self.errors += error
        if slow is not None:
            if len(self.slowest) < self.keep:
                heapq.heappush(self.slowest, slow)
            elif slow > self.slowest[0]:
                heapq.heapreplace(self.slowest, slow)


@dataclass
class EdgeStats:
    calls: int = 0
    failed: int = 0
    sum_ms: float = 0.0
    connection_type: str = ""


@dataclass
class Bucket:
    start_ns: int
    operations: dict[tuple[str, str], OperationStats] = field(default_factory=dict)
    edges: dict[tuple[str, str], EdgeStats] = field(default_factory=dict)
    spans: int = 0


def error_of(span: Any) -> str | None:
    """What went wrong with a span whose status is ERROR: its status message, else the
    ``exception.type`` of its first exception event, else ``"error"``; None otherwise."""
    if span.status.code != STATUS_ERROR:
        return None
    if span.status.message:
        return str(span.status.message)
    for event in span.events:
        if event.name == "exception":
            for kv in event.attributes:
                if kv.key == "exception.type":
                    return str(to_value(kv.value))
    return "error"


class SpanWindow:
    """The bounded window; feed it with :meth:`add`, read it with :mod:`.query`."""

    def __init__(self, limits: AnalyticsLimits) -> None:
        self.limits = limits
        self.buckets: OrderedDict[int, Bucket] = OrderedDict()
        self.evicted_spans = 0
        self.refused_spans = 0
        self.refused_edges = 0
        self.tracker = EdgeTracker(limits.store_max_items, limits.store_ttl, (),
                                   limits.peer_attributes)
        self._now_ns = 0
        self._operations: dict[tuple[str, str], int] = {}  # pair -> buckets holding it

    def _bucket(self, now_ns: int) -> Bucket:
        step = int(self.limits.resolution * 1e9)
        start = now_ns - now_ns % step
        bucket = self.buckets.get(start)
        if bucket is None:
            bucket = self.buckets[start] = Bucket(start)
        return bucket

    def evict(self, now_ns: int) -> int:
        """Drop buckets wholly older than ``window``; returns the spans they held."""
        oldest = now_ns - int(self.limits.window * 1e9) - int(self.limits.resolution * 1e9)
        n = 0
        while self.buckets:
            start, bucket = next(iter(self.buckets.items()))
            if start > oldest:
                break
            del self.buckets[start]
            n += bucket.spans
            for pair in bucket.operations:
                left = self._operations[pair] - 1
                if left:
                    self._operations[pair] = left
                else:
                    del self._operations[pair]
        self.evicted_spans += n
        return n

    def add(self, batch: Batch, now_ns: int, now: float) -> None:
        """File every span of a traces batch at ``now_ns``."""
        request = batch.message
        self._now_ns = now_ns
        self.evict(now_ns)
        bucket = self._bucket(now_ns)
        for res in items.resources(request):
            service = service_name(res.resource.resource)
            if service is None:
                continue
            for scope in res.resource.scope_spans:
                for span in scope.spans:
                    self._span(bucket, service, span)
        for edge in self.tracker.consume(batch.data, now):
            self._edge(edge)

    def _span(self, bucket: Bucket, service: str, span: Any) -> None:
        pair = (service, span.name)
        stats = bucket.operations.get(pair)
        if stats is None:
            if pair not in self._operations and len(self._operations) >= \
                    self.limits.max_operations:
                self.refused_spans += 1
                return
            stats = bucket.operations[pair] = OperationStats(self.limits.relative_accuracy,
                                                             self.limits.slowest)
            self._operations[pair] = self._operations.get(pair, 0) + 1
        ms = duration_ns(span) / 1e6
        error = error_of(span)
        slow = None
        if len(stats.slowest) < stats.keep or ms > stats.slowest[0].duration_ms:
            slow = SlowSpan(ms, hex_id(span.trace_id), hex_id(span.span_id), error, service,
                            span.name)
        stats.add(ms, span.status.code == STATUS_ERROR, slow)
        bucket.spans += 1

    def expire_edges(self, now: float, now_ns: int) -> int:
        """Take edges that waited ``store_ttl`` out of the pairing store (unanswered client
        spans become virtual node edges, filed at ``now_ns``)."""
        self._now_ns = now_ns
        expired = self.tracker.expired
        for edge in self.tracker.expire(now):
            self._edge(edge)
        return self.tracker.expired - expired

    def _edge(self, e: Edge) -> None:
        bucket = self._bucket(self._now_ns)
        stats = bucket.edges.get((e.client, e.server))
        if stats is None:
            if len(bucket.edges) >= self.limits.max_operations:
                self.refused_edges += 1
                return
            stats = bucket.edges[(e.client, e.server)] = EdgeStats(
                connection_type=e.connection_type)
        stats.calls += 1
        stats.failed += e.failed
        stats.sum_ms += e.client_seconds * 1e3 if e.client_seconds else e.server_seconds * 1e3
