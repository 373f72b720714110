"""One scrape -> one OTLP metrics request, as the Collector's prometheusreceiver builds it.

Samples are grouped per (``job``, ``instance``) into a resource with ``service.name`` (job),
``service.instance.id`` (instance), ``server.address`` (the host, unless it is loopback,
unspecified or ``localhost``), ``server.port`` and ``url.scheme``; the labels of a
``target_info`` sample become resource attributes. One scope,
``github.com/open-telemetry/opentelemetry-collector-contrib/receiver/prometheusreceiver``
(version: otelpy's), holds the families (see :mod:`families`). Series that went stale are
points flagged ``NoRecordedValue``. Start times of cumulative points come from
:class:`~otelpy.receivers.prometheus.adjust.StartTimes`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Hashable
from typing import Any

from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    AggregationTemporality,
    DataPointFlags,
    Gauge,
    Histogram,
    Summary,
)

from otelpy import __version__
from otelpy.component import Signal
from otelpy.native import _promtext
from otelpy.pdata import Batch
from otelpy.prometheus.labels import labels_key
from otelpy.prometheus.scrape import ScrapeResult, Steady
from otelpy.prometheus.textparse import FamilyMeta, Sample
from otelpy.receivers.prometheus import plan as plans
from otelpy.receivers.prometheus import wire
from otelpy.receivers.prometheus.adjust import StartTimes
from otelpy.receivers.prometheus.families import (
    DROPPED,
    DROPPED_OTHER,
    INTERNAL_META,
    STALE_NAN,
    Family,
    Group,
    KeyMemo,
    created_ns,
    family_meta,
    is_stale,
)
from otelpy.receivers.prometheus.points import attributes as point_attributes
from otelpy.receivers.prometheus.points import exemplars as point_exemplars
from otelpy.receivers.prometheus.resource import resource_attributes

__all__ = ["Converter", "SCOPE_NAME", "resource_attributes"]

SCOPE_NAME = "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/" \
             "prometheusreceiver"
CUMULATIVE = AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
NO_RECORDED_VALUE = DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK


def _trim(name: str, family: Family) -> str:
    """``trim_metric_suffixes``: drop ``_total`` of monotonic sums and the unit word."""
    if family.kind == "sum" and family.monotonic and name.endswith("_total"):
        name = name[:-len("_total")]
    unit = family.meta.unit
    if unit and name.endswith("_" + unit):
        name = name[:-len(unit) - 1]
    return name


_NUMBER_KINDS = frozenset({"gauge", "sum"})
_MAX_COUNT = 2.0**64  # a uint64 count (bucket_counts, count)
# labels -> (labels, encoded attributes, point prefix with start time, without)
Encoded = tuple[dict[str, str], bytes, bytes, bytes]


class _Memo:
    """What is remembered of one target's label sets (the same objects from one scrape to
    the next): keyed by their id, each entry holding the labels so the id stays theirs."""

    __slots__ = ("encoded", "keys", "series", "resources", "plan")

    def __init__(self) -> None:
        # the plan of the last layout (None in it: the layout is not covered)
        self.plan: tuple[object, plans.Plan | None] | None = None
        self.encoded: dict[int, Encoded] = {}  # point attributes
        self.keys: KeyMemo = {}  # group keys by family kind
        # (labels, (job, instance), group key of a gauge or sum)
        self.series: dict[int, tuple[dict[str, str], tuple[str, str], str]] = {}
        self.resources: dict[tuple[str, str], tuple[str, str]] = {}  # one object per key

    def bound(self, limit: int) -> None:
        """Forget everything when a table holds more than ``limit`` entries."""
        if len(self.encoded) > limit or len(self.series) > limit or \
                sum(len(m) for m in self.keys.values()) > limit:
            self.encoded, self.keys, self.series, self.resources = {}, {}, {}, {}
            self.plan = None


class _Resource:
    __slots__ = ("families", "info", "order")

    def __init__(self) -> None:
        self.families: dict[str, Family] = {}
        self.order: list[Family] = []
        self.info: dict[str, str] = {}


class Converter:
    """Keeps the metadata and start times per target; :meth:`convert` builds requests.

    Per target it also remembers, per label set of a scrape (label sets of series seen
    before are the same objects, see :class:`~otelpy.prometheus.scrape.ScrapeLoop`), the
    point's encoded attributes, so a known series costs one lookup and one ``struct`` pack.
    """

    def __init__(self, logger: logging.Logger, trim_suffixes: bool = False,
                 start_times: StartTimes | None = None) -> None:
        self.logger = logger
        self.trim_suffixes = trim_suffixes
        self.start_times = start_times or StartTimes()
        self._metadata: dict[str, dict[str, FamilyMeta]] = {}
        self._memos: dict[str, _Memo] = {}
        self.problems = 0

    def convert(self, result: ScrapeResult) -> Batch | None:
        """The request of one scrape (None when it holds nothing)."""
        url = result.target.url
        if result.families:
            self._metadata[url] = result.families
        metadata = self._metadata.get(url, {})
        memo = self._memos.get(url)
        if memo is None:
            memo = self._memos[url] = _Memo()
        if result.steady is not None:
            batch = self._steady(result, result.steady, metadata, memo)
            if batch is not None:
                return batch
            result = dataclasses.replace(result, samples=result.kept(), steady=None)
        resources: dict[tuple[str, str], _Resource] = {}
        ts = result.timestamp_ms
        stale = [Sample(s.name, s.labels, STALE_NAN, ts) for s in result.stale]
        memo.bound(2 * (len(result.samples) + len(stale)) + 100)
        self._numbers_fast(resources, result.samples, metadata, memo)
        for sample in (*stale, *result.report):
            self._add(resources, sample, metadata, memo.keys)
        encoded = memo.encoded
        parts, count = [], 0
        for (job, instance), res in resources.items():
            attrs = resource_attributes(job, instance, result.target.scheme)
            attrs.update(res.info)
            metrics = []
            for family in res.order:
                metric, points = self._metric(family, (job, instance), encoded)
                if points:
                    metrics.append(metric)
                    count += points
            parts.append(wire.resource_metrics(attrs, SCOPE_NAME, __version__, metrics))
        if not result.report:  # the loop stopped: its target is gone
            self._metadata.pop(url, None)
            self._memos.pop(url, None)
        return Batch(Signal.METRICS, b"".join(parts), count=count) if parts else None

    def _steady(self, result: ScrapeResult, steady: Steady,
                 metadata: dict[str, FamilyMeta], memo: _Memo) -> Batch | None:
        """The request of a steady scrape written from its layout's plan (None when the
        layout has no plan or a value cannot be written that way)."""
        memo.bound(2 * len(steady.template) + 100)
        ts_ns = result.timestamp_ms * 1_000_000
        if memo.plan is None or memo.plan[0] is not steady.layout:
            memo.plan = (steady.layout, self._plan(steady, result.timestamp_ms, metadata, memo,
                                                    result.target.scheme))
        plan = memo.plan[1]
        if plan is None or ts_ns <= 0:
            return None
        chunks = _promtext.write(plan.families, steady.values, ts_ns,
                                 self.start_times.generation)
        if chunks is None:
            return None
        by_resource: dict[tuple[str, str], list[bytes]] = {key: [] for key in plan.resources}
        count = 0
        for (key, head, field, tail, points), chunk in zip(plan.metrics, chunks, strict=True):
            by_resource[key].append(head + wire.ld(field, chunk + tail))
            count += points
        for sample in result.report:  # each its own gauge family of one point
            labels = sample.labels
            key = (labels.get("job", ""), labels.get("instance", ""))
            by_resource.setdefault(key, []).append(self._report_metric(sample, ts_ns, memo))
            count += 1
        parts = []
        for (job, instance), metrics in by_resource.items():
            attrs = plan.resources.get((job, instance))
            if attrs is None:
                attrs = resource_attributes(job, instance, result.target.scheme)
            parts.append(wire.resource_metrics(attrs, SCOPE_NAME, __version__, metrics))
        return Batch(Signal.METRICS, b"".join(parts), count=count)

    def _report_metric(self, sample: Sample, ts_ns: int, memo: _Memo) -> bytes:
        """A report series as its own gauge, as :meth:`_metric` writes it."""
        labels, name = sample.labels, sample.name
        meta = INTERNAL_META[name]
        if self.trim_suffixes and meta.unit and name.endswith("_" + meta.unit):
            name = name[:-len(meta.unit) - 1]
        found = memo.encoded.get(id(labels))
        if found is None:
            attrs = wire.attributes((k, labels[k]) for k in sorted(labels)
                                    if k not in DROPPED_OTHER and labels[k])
            found = memo.encoded[id(labels)] = (labels, attrs, wire.point_prefix(attrs, True),
                                                 wire.point_prefix(attrs, False))
        point = found[3] + wire.TIME_VALUE.pack(0x19, ts_ns, 0x21, sample.value)
        return wire.metric(name, meta.help, meta.unit, wire.GAUGE, [point])

    def _plan(self, steady: Steady, ts: int, metadata: dict[str, FamilyMeta],
              memo: _Memo, scheme: str) -> plans.Plan | None:
        """The plan of a layout: its samples grouped as the Python path does, each with
        its position plus one as value (see :mod:`plan`)."""
        samples = [Sample(t.name, t.labels, float(i + 1), ts)
                   for i, t in enumerate(steady.template)]
        problems = self.problems
        resources: dict[tuple[str, str], _Resource] = {}
        self._numbers_fast(resources, samples, metadata, memo)
        if self.problems != problems:  # counted by the Python path that converts instead
            self.problems = problems
            return None
        plan = plans.build(steady.layout, resources, ts * 1_000_000,  # type: ignore[arg-type]
                           self.start_times, self._name, memo.encoded)
        if plan is not None:  # the resource attributes, target_info's labels last
            plan.resources = {key: {**resource_attributes(*key, scheme), **info}
                              for key, info in plan.resources.items()}
        return plan

    def _name(self, family: Family) -> str:
        return _trim(family.name, family) if self.trim_suffixes else family.name

    def _numbers_fast(self, resources: dict[tuple[str, str], _Resource],
                      samples: list[Sample], metadata: dict[str, FamilyMeta],
                      memo: _Memo) -> None:
        """Add the scraped samples: a sample of a gauge or sum family already met in this
        scrape goes straight to its point; any other through :meth:`_add`."""
        series, keys, where = memo.series, memo.keys, memo.resources
        last_name: str | None = None
        last_where: tuple[str, str] | None = None
        family: Family | None = None
        direct = False  # family is a gauge or sum met before, and name is not a _created
        for sample in samples:
            labels = sample.labels
            found = series.get(id(labels))
            if found is None:
                at = (labels.get("job", ""), labels.get("instance", ""))
                found = series[id(labels)] = (labels, where.setdefault(at, at),
                                              labels_key(labels.items()))
            name = sample.name
            if name is not last_name or found[1] is not last_where:  # else the same family
                res = resources.get(found[1])
                family = res.families.get(name) if res is not None else None
                last_name, last_where = name, found[1]
                direct = family is not None and family.kind in _NUMBER_KINDS \
                    and not name.endswith("_created")
            if not direct or sample.exemplar:
                self._add(resources, sample, metadata, keys)
                last_name = None
                continue
            ts = sample.timestamp_ms or 0
            assert family is not None
            group = family.groups.get(found[2])
            if group is None:
                family.groups[found[2]] = Group(ts, labels, sample.value)
            elif group.ts == ts:
                group.value = sample.value
            else:
                self._add(resources, sample, metadata, keys)

    def _add(self, resources: dict[tuple[str, str], _Resource], sample: Sample,
             metadata: dict[str, FamilyMeta], keys: KeyMemo) -> None:
        labels = sample.labels
        key = (labels.get("job", ""), labels.get("instance", ""))
        res = resources.get(key)
        if res is None:
            res = resources[key] = _Resource()
        name = sample.name
        if name == "target_info":
            res.info.update({k: v for k, v in labels.items() if k not in ("job", "instance")})
            return
        family = res.families.get(name)
        if family is None:
            family = res.families.get(family_meta(name, metadata)[1])
            if family is None or not family.includes(name):
                family = Family(name, metadata, keys)
                res.families[family.name] = family
                res.order.append(family)
            res.families[name] = family
        problem = family.add(name, labels, sample.timestamp_ms or 0, sample.value,
                             sample.exemplar)
        if problem:
            self.problems += 1
            self.logger.debug("failed to add datapoint %s: %s", name, problem)

    def _metric(self, family: Family, resource: tuple[str, str],
                encoded: dict[int, Encoded]) -> tuple[bytes, int]:
        """The encoded Metric of ``family`` and its number of points."""
        name = self._name(family)
        kind = family.kind
        if kind in ("histogram", "summary"):
            data: Any = Histogram() if kind == "histogram" else Summary()
            make = self._histogram_point if kind == "histogram" else self._summary_point
            for key, group in family.groups.items():
                make(data.data_points, group, (name, key), resource)
            points = [data.SerializeToString()]
            count = len(data.data_points)
            field = wire.HISTOGRAM if kind == "histogram" else wire.SUMMARY
        else:
            points = self._numbers(family, name, resource, encoded)
            count = len(points)
            field = wire.SUM if kind == "sum" else wire.GAUGE
        if not count:
            return b"", 0
        meta = family.meta
        return wire.metric(name, meta.help, meta.unit, field, points,
                           kind == "sum" and family.monotonic), count

    def _numbers(self, family: Family, name: str, resource: tuple[str, str],
                 encoded: dict[int, Encoded]) -> list[bytes]:
        out = []
        cumulative = family.kind == "sum"
        # one start-time table per resource and family: a series' key alone finds it
        number, table = self.start_times.number_in, self.start_times.table((resource, name))
        for key, group in family.groups.items():
            ts = group.ts * 1_000_000
            value = group.value
            stale = value != value and is_stale(value)
            start = 0
            if cumulative:
                begin = created_ns(group.created) if group.created else ts
                start = number(table, key, begin, ts, value, stale)
            if group.exemplars:
                out.append(self._exemplar_point(group, ts, start, stale))
                continue
            labels = group.labels
            found = encoded.get(id(labels))
            if found is None:
                attrs = wire.attributes((k, labels[k]) for k in sorted(labels)
                                        if k not in DROPPED_OTHER and labels[k])
                # the labels are held, so the id stays theirs
                found = encoded[id(labels)] = (labels, attrs, wire.point_prefix(attrs, True),
                                               wire.point_prefix(attrs, False))
            if stale or (cumulative and not start):
                out.append(wire.number_point(found[1], start, ts, value, stale))
            elif cumulative:
                out.append(found[2] + wire.START_TIME_VALUE.pack(0x11, start, 0x19, ts, 0x21,
                                                                  value))
            else:
                out.append(found[3] + wire.TIME_VALUE.pack(0x19, ts, 0x21, value))
        return out

    @staticmethod
    def _exemplar_point(group: Group, ts: int, start: int, stale: bool) -> bytes:
        holder = Gauge()
        point = holder.data_points.add(time_unix_nano=ts, start_time_unix_nano=start)
        if stale:
            point.flags = NO_RECORDED_VALUE
        else:
            point.as_double = group.value
        point_attributes(point, group.labels, DROPPED_OTHER)
        point_exemplars(point, group.exemplars, ts)
        return holder.SerializeToString()

    def _histogram_point(self, points: Any, group: Group, series: Hashable,
                         resource: tuple[str, str]) -> None:
        if not group.has_count or not group.points:
            return
        group.points.sort()
        if group.points[-1][0] != float("inf"):
            return
        stale = is_stale(group.sum) or is_stale(group.count)
        counts, previous = [], 0.0
        for _, value in group.points:
            delta = value - previous
            if not stale and not 0 <= delta < _MAX_COUNT:  # falling, NaN or infinite
                self._refused(group, "bucket counts must be finite and not decrease")
                return
            counts.append(0 if stale else int(delta))
            previous = value
        if not stale and not 0 <= group.count < _MAX_COUNT:
            self._refused(group, f"count {group.count} is not a finite count")
            return
        ts = group.ts * 1_000_000
        point = points.add(time_unix_nano=ts, explicit_bounds=[b for b, _ in group.points[:-1]],
                           bucket_counts=counts)
        if stale:
            point.flags = NO_RECORDED_VALUE
        else:
            point.count = int(group.count)
            if group.has_sum:
                point.sum = group.sum
        point_attributes(point, group.labels, DROPPED["histogram"])
        point_exemplars(point, group.exemplars, ts)
        start = created_ns(group.created) if group.created else ts
        point.start_time_unix_nano = self.start_times.distribution(
            resource, series, start, ts, group.count, group.sum, stale)

    def _refused(self, group: Group, why: str) -> None:
        """A histogram or summary point left out (the scrape's other points go on)."""
        self.problems += 1
        self.logger.debug("failed to add datapoint %s: %s", group.labels, why)

    def _summary_point(self, points: Any, group: Group, series: Hashable,
                       resource: tuple[str, str]) -> None:
        if not group.has_count:
            return
        if group.points:
            group.points.sort()
        stale = is_stale(group.sum) or is_stale(group.count)
        if not stale and not 0 <= group.count < _MAX_COUNT:
            self._refused(group, f"count {group.count} is not a finite count")
            return
        ts = group.ts * 1_000_000
        point = points.add(time_unix_nano=ts)
        if stale:
            point.flags = NO_RECORDED_VALUE
        else:
            point.count = int(group.count)
            if group.has_sum:
                point.sum = group.sum
        for quantile, value in group.points:
            point.quantile_values.add(quantile=quantile, value=0.0 if stale else value)
        point_attributes(point, group.labels, DROPPED["summary"])
        start = created_ns(group.created) if group.created else ts
        point.start_time_unix_nano = self.start_times.distribution(
            resource, series, start, ts, group.count, group.sum, stale)
