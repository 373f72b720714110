"""The log insights window: per time bucket, record counts per (service, level), error and
warning patterns per (service, pattern, level), and the values of chosen metrics; plus the
``log.anomaly`` events seen.

Records and data points are filed by arrival time (``clock.time_ns()``) into buckets of
``resolution`` seconds. Buckets older than ``window`` are evicted (their records counted in
``evicted_records``). Bounds, each counted when reached:

* ``max_services`` services in the window: records of further services are not kept
  (``refused_records``);
* ``max_patterns`` (service, pattern, level) keys in the window: the record still counts in
  the totals, its pattern is not kept (``refused_patterns``);
* ``max_anomalies`` events: the oldest goes (``evicted_anomalies``).

Patterns are kept for records at WARN and above. A record's pattern is its ``id_attribute``
(the logpattern processor's ``log.pattern.id``) with ``template_attribute``; a record
without one is its own pattern: its body (at most 256 characters) with the first 16 hex
digits of its SHA-256 as ID.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from otelpy.logspike.events import AnomalyEvent, event_of
from otelpy.pdata import items
from otelpy.pdata.severity import RANK, level_of

__all__ = ["Bucket", "InsightsLimits", "LogWindow", "MetricSpec", "PatternCount"]

_PATTERN_RANK = RANK["WARN"]
_MAX_BODY_TEMPLATE = 256
AGGREGATIONS = ("mean", "sum", "max")


@dataclass(frozen=True)
class MetricSpec:
    """A metric to correlate with error counts: its name and how a bucket's points
    become one value (``mean``, ``sum`` or ``max``)."""

    name: str
    aggregation: str = "mean"


@dataclass(frozen=True)
class InsightsLimits:
    window: float = 3600.0
    resolution: float = 60.0
    max_services: int = 1000
    max_patterns: int = 10_000
    max_anomalies: int = 1000
    metrics: tuple[MetricSpec, ...] = ()
    id_attribute: str = "log.pattern.id"
    template_attribute: str = "log.pattern.template"


@dataclass
class PatternCount:
    count: int
    first_ns: int


class MetricValue:
    """The points of one metric (and service) in one bucket."""

    __slots__ = ("total", "n", "max")

    def __init__(self) -> None:
        self.total = 0.0
        self.n = 0
        self.max = float("-inf")

    def add(self, value: float) -> None:
        self.total += value
        self.n += 1
        self.max = max(self.max, value)

    def value(self, aggregation: str) -> float:
        if aggregation == "sum":
            return self.total
        if aggregation == "max":
            return self.max
        return self.total / self.n


@dataclass
class Bucket:
    start_ns: int
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    patterns: dict[tuple[str, str, str], PatternCount] = field(default_factory=dict)
    metrics: dict[tuple[str, str], MetricValue] = field(default_factory=dict)
    services: set[str] = field(default_factory=set)
    records: int = 0


@dataclass(frozen=True)
class SeenAnomaly:
    """An anomaly event and when it arrived."""

    at_ns: int
    event: AnomalyEvent


def _refs(table: dict[Any, int], key: Any, delta: int) -> None:
    left = table.get(key, 0) + delta
    if left > 0:
        table[key] = left
    else:
        table.pop(key, None)


class LogWindow:
    """The bounded window; feed it with :meth:`add_logs` and :meth:`add_metrics`, read it
    with :mod:`.query`."""

    def __init__(self, limits: InsightsLimits) -> None:
        self.limits = limits
        self.buckets: OrderedDict[int, Bucket] = OrderedDict()
        self.anomalies: deque[SeenAnomaly] = deque()
        self.templates: dict[str, str] = {}
        self.evicted_records = self.refused_records = self.refused_patterns = 0
        self.evicted_anomalies = 0
        self._step_ns = max(1, round(limits.resolution * 1e9))
        self._services: dict[str, int] = {}  # service -> buckets holding it
        self._keys: dict[tuple[str, str, str], int] = {}  # pattern key -> buckets holding it
        self._pattern_refs: dict[str, int] = {}  # pattern ID -> keys holding it
        self._metrics = {m.name: m for m in limits.metrics}

    @property
    def step_ns(self) -> int:
        return self._step_ns

    def bucket_start(self, now_ns: int) -> int:
        return now_ns - now_ns % self._step_ns

    def _bucket(self, now_ns: int) -> Bucket:
        start = self.bucket_start(now_ns)
        bucket = self.buckets.get(start)
        if bucket is None:
            bucket = self.buckets[start] = Bucket(start)
        return bucket

    def evict(self, now_ns: int) -> int:
        """Drop buckets wholly older than ``window`` (and anomalies that arrived before
        them); returns the records they held."""
        oldest = now_ns - round(self.limits.window * 1e9) - self._step_ns
        n = 0
        while self.buckets:
            start, bucket = next(iter(self.buckets.items()))
            if start > oldest:
                break
            del self.buckets[start]
            n += bucket.records
            self._forget(bucket)
        while self.anomalies and self.anomalies[0].at_ns <= oldest + self._step_ns:
            self.anomalies.popleft()
        self.evicted_records += n
        return n

    def _forget(self, bucket: Bucket) -> None:
        for service in bucket.services:
            _refs(self._services, service, -1)
        for key in bucket.patterns:
            _refs(self._keys, key, -1)
            if key not in self._keys:
                _refs(self._pattern_refs, key[1], -1)
                if key[1] not in self._pattern_refs:
                    self.templates.pop(key[1], None)

    def _service_ok(self, bucket: Bucket, service: str) -> bool:
        if service in bucket.services:
            return True
        if service not in self._services and len(self._services) >= self.limits.max_services:
            return False
        bucket.services.add(service)
        _refs(self._services, service, 1)
        return True

    def add_logs(self, request: Any, now_ns: int) -> None:
        """File every log record of an ExportLogsServiceRequest at ``now_ns``; log.anomaly
        events go to :attr:`anomalies` instead."""
        self.evict(now_ns)
        bucket = self._bucket(now_ns)
        resource: Any = None
        service = ""
        for item in items.log_records(request):
            record = item.record
            if item.resource is not resource:
                resource = item.resource
                name = item.resource_attributes.get("service.name")
                service = name if isinstance(name, str) else ""
            if record.event_name == "log.anomaly" or item.attributes.get("event.name") == \
                    "log.anomaly":
                self._anomaly(item, now_ns)
                continue
            level = level_of(record.severity_number, record.severity_text)
            if not self._service_ok(bucket, service):
                self.refused_records += 1
                continue
            key = (service, level)
            bucket.counts[key] = bucket.counts.get(key, 0) + 1
            bucket.records += 1
            if RANK[level] >= _PATTERN_RANK:
                self._pattern(bucket, item, service, level, now_ns)

    def _anomaly(self, item: Any, now_ns: int) -> None:
        body = item.record.body
        text = body.string_value if body.WhichOneof("value") == "string_value" else ""
        event = event_of(item.attributes, text)
        if event is None:
            return
        self.anomalies.append(SeenAnomaly(now_ns, event))
        if len(self.anomalies) > self.limits.max_anomalies:
            self.anomalies.popleft()
            self.evicted_anomalies += 1

    def _pattern(self, bucket: Bucket, item: Any, service: str, level: str,
                 now_ns: int) -> None:
        attrs = item.attributes
        pattern = attrs.get(self.limits.id_attribute)
        template = attrs.get(self.limits.template_attribute)
        if not isinstance(pattern, str) or not pattern:
            body = item.record.body
            text = body.string_value if body.WhichOneof("value") == "string_value" else ""
            template = text[:_MAX_BODY_TEMPLATE]
            pattern = hashlib.sha256(template.encode()).hexdigest()[:16]
        key = (service, pattern, level)
        found = bucket.patterns.get(key)
        if found is None:
            if key not in self._keys:
                if len(self._keys) >= self.limits.max_patterns:
                    self.refused_patterns += 1
                    return
                _refs(self._pattern_refs, pattern, 1)
            _refs(self._keys, key, 1)
            found = bucket.patterns[key] = PatternCount(0, now_ns)
        found.count += 1
        if isinstance(template, str) and template:
            self.templates[pattern] = template
        elif pattern not in self.templates:
            self.templates[pattern] = ""

    def add_metrics(self, request: Any, now_ns: int) -> int:
        """File the number points of the configured metrics at ``now_ns`` (histograms and
        summaries as their mean); returns how many were kept."""
        if not self._metrics:
            return 0
        self.evict(now_ns)
        bucket = self._bucket(now_ns)
        kept = 0
        for item in items.data_points(request):
            if item.metric.name not in self._metrics:
                continue
            value = _point_value(item.kind, item.point)
            if value is None or not math.isfinite(value):
                continue
            name = item.resource_attributes.get("service.name")
            key = (item.metric.name, name if isinstance(name, str) else "")
            acc = bucket.metrics.get(key)
            if acc is None:
                if len(bucket.metrics) >= len(self._metrics) * self.limits.max_services:
                    continue
                acc = bucket.metrics[key] = MetricValue()
            acc.add(value)
            kept += 1
        return kept


def _point_value(kind: str | None, point: Any) -> float | None:
    if kind in ("gauge", "sum"):
        which = point.WhichOneof("value")
        if which is None:
            return None
        return float(getattr(point, which))
    if kind in ("histogram", "exponential_histogram", "summary"):
        return point.sum / point.count if point.count else None
    return None
