"""The series store: OTLP metrics in, Prometheus families of series out.

:meth:`SeriesStore.accumulate` reads a decoded ``ExportMetricsServiceRequest`` through
:mod:`otelpy.pdata.items` and keeps one series per (Prometheus name, label set), with the
Collector's ``prometheusexporter`` rules (see :mod:`otelpy.prometheus.series`):

* the name comes from :class:`~otelpy.prometheus.naming.MetricNamer`; a family has one type
  (counter, gauge, histogram, summary): a point whose metric would change it is refused
  (``type_conflict``), and the first description is the HELP text;
* labels are, by increasing precedence: resource attributes (with
  ``resource_to_telemetry``), the point's attributes (names colliding after sanitizing are
  joined with ``;`` in the order of the original keys), ``otel_scope_name`` /
  ``otel_scope_version`` / ``otel_scope_schema_url`` / ``otel_scope_<attribute>`` (unless
  ``without_scope_info``), ``job`` (``service.namespace/service.name``) and ``instance``
  (``service.instance.id``), then the constant labels;
* every resource with both ``job`` and ``instance`` is remembered for ``target_info``;
* a series not updated for ``expiration`` seconds is removed when the store is next read,
  and so is a resource; at most ``max_series`` series are kept: a point that would add one
  more is refused (``series_limit``). Every refusal is counted in :attr:`SeriesStore.refused`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from otelpy.pdata import items
from otelpy.pdata.values import Attributes
from otelpy.prometheus.labels import label_value, render_labels
from otelpy.prometheus.naming import LabelNamer, MetricNamer, MetricType, NameError_
from otelpy.prometheus.series import (
    CUMULATIVE,
    DELTA,
    ExpHistogramSeries,
    HistogramSeries,
    NumberSeries,
    Refused,
    Series,
    SummarySeries,
)

__all__ = ["Family", "SeriesStore", "StoreSettings", "TargetInfo"]

_SERVICE_KEYS = ("service.name", "service.namespace", "service.instance.id")
_NO_RECORDED_VALUE = 1


@dataclass(frozen=True)
class StoreSettings:
    """How names and labels are built and how long series live."""

    namespace: str = ""
    add_metric_suffixes: bool = True
    const_labels: tuple[tuple[str, str], ...] = ()
    resource_to_telemetry: bool = False
    exclude_service_attributes: bool = False
    without_scope_info: bool = False
    expiration: float = 300.0
    max_series: int = 500_000


@dataclass
class Family:
    """The series of one Prometheus metric name (``type`` is the exposition TYPE)."""

    name: str
    type: str
    help: str
    series: dict[str, Series] = field(default_factory=dict)


@dataclass
class TargetInfo:
    """One resource, as its ``target_info`` labels, and when it was last seen."""

    labels: str
    updated: float


class _Context:
    """Labels shared by every point of one (resource, scope) envelope pair."""

    __slots__ = ("base", "resource_attrs", "target")

    def __init__(self, base: list[tuple[str, str]], resource_attrs: dict[str, str],
                 target: str | None) -> None:
        self.base = base
        self.resource_attrs = resource_attrs
        self.target = target


class SeriesStore:
    """Accumulated series, read by the renderers; not thread-safe (one event loop)."""

    def __init__(self, settings: StoreSettings,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.metric_namer = MetricNamer(namespace=self._namespace(settings),
                                        with_suffixes=settings.add_metric_suffixes)
        self.label_namer = LabelNamer()
        self.families: dict[str, Family] = {}
        self.targets: dict[str, TargetInfo] = {}
        self.refused: Counter[str] = Counter()
        self.expired = 0
        self.series_count = 0
        self._clock = clock

    def _namespace(self, settings: StoreSettings) -> str:
        return LabelNamer().build(settings.namespace) if settings.namespace else ""

    # -- in ------------------------------------------------------------------------------
    def accumulate(self, request: Any,
                   on_point: Callable[[Family, Series, items.PointItem], None] | None = None,
                   select: Callable[[str, Any], bool] | None = None) -> int:
        """Keep the points of ``request``; returns how many were kept (refusals are counted
        in :attr:`refused` by reason). ``on_point`` is called with the family, the series
        and the item of each kept point; ``select(prometheus name, metric)`` False skips a
        metric's points uncounted (alert evaluation keeps only what its rules read)."""
        now = self._clock()
        kept = 0
        scope = metric = None
        ctx: _Context | None = None
        family: Family | str | None = "unsupported"
        for item in items.data_points(request):
            if item.scope is not scope:
                scope, ctx = item.scope, self._context(item, now)
            if item.metric is not metric:
                metric, family = item.metric, self._family(item, select)
            if family is None:
                continue
            if isinstance(family, str):
                self.refused[family] += 1
                continue
            assert ctx is not None
            try:
                series = self._add_point(family, item, ctx, now)
                kept += 1
                if on_point is not None:
                    on_point(family, series, item)
            except Refused as refusal:
                self.refused[refusal.reason] += 1
        return kept

    def _context(self, item: items.PointItem, now: float) -> _Context:
        s = self.settings
        resource = {k: label_value(v) for k, v in item.resource_attributes.items()}
        base: list[tuple[str, str]] = []
        if not s.without_scope_info:
            scope = item.scope.scope
            for key, value in item.scope_attributes.items():
                base.append((self._label("otel_scope_" + key), label_value(value)))
            base += [("otel_scope_name", scope.name), ("otel_scope_version", scope.version),
                     ("otel_scope_schema_url", item.scope.schema_url)]
        job_instance = _job_instance(resource)
        base += job_instance
        base += s.const_labels
        converted = {}
        if s.resource_to_telemetry:
            converted = {k: v for k, v in resource.items()
                         if not (s.exclude_service_attributes and k in _SERVICE_KEYS)}
        target = self._remember_target(resource, job_instance, now)
        return _Context(base, converted, target)

    def _remember_target(self, resource: dict[str, str], job_instance: list[tuple[str, str]],
                         now: float) -> str | None:
        if len(job_instance) < 2:
            return None
        joined: dict[str, str] = {}
        for key, value in resource.items():
            if key in _SERVICE_KEYS:
                continue
            name = self._label(key)
            joined[name] = f"{joined[name]};{value}" if name in joined else value
        joined.update(job_instance)
        labels = render_labels(joined.items())
        entry = self.targets.get(labels)
        if entry is None:
            self.targets[labels] = TargetInfo(labels, now)
        else:
            entry.updated = now
        return labels

    def _label(self, key: str) -> str:
        return self.label_namer.build(key)

    def _family(self, item: items.PointItem,
                select: Callable[[str, Any], bool] | None = None) -> Family | str | None:
        """The item's family, why its points are refused, or None when not selected."""
        metric = item.metric
        kind, mtype = _types(item)
        if mtype is None:
            return kind
        try:
            name = self.metric_namer.build(metric.name, metric.unit, mtype)
        except NameError_:
            return "invalid_name"
        if select is not None and not select(name, metric):
            return None
        family = self.families.get(name)
        if family is None:
            family = self.families[name] = Family(name, kind, metric.description)
        elif family.type != kind:
            return "type_conflict"
        return family

    def _add_point(self, family: Family, item: items.PointItem, ctx: _Context,
                   now: float) -> Series:
        labels = self._labels(item, ctx)
        point = item.point
        existing = family.series.get(labels)
        if point.flags & _NO_RECORDED_VALUE:
            if existing is not None:
                del family.series[labels]
                self.series_count -= 1
            raise Refused("no_recorded_value")
        kind = item.kind
        if existing is not None and type(existing) is _SERIES_CLASS[kind]:
            _update(existing, item, now)
            return existing
        if existing is None and self.series_count >= self.settings.max_series:
            raise Refused("series_limit")
        created = family.series[labels] = _create(labels, item, now)
        if existing is None:
            self.series_count += 1
        return created

    def _labels(self, item: items.PointItem, ctx: _Context) -> str:
        merged = dict(ctx.resource_attrs) if ctx.resource_attrs else {}
        if merged:
            merged = {self._label(k): v for k, v in merged.items()}
        own: dict[str, list[tuple[str, str]]] = {}
        for key, value in Attributes(item.point.attributes).items():
            name = self._label(key)
            if name in own:
                own[name].append((key, label_value(value)))
            else:
                own[name] = [(key, label_value(value))]
        for name, entries in own.items():
            merged[name] = entries[0][1] if len(entries) == 1 else \
                ";".join(v for _, v in sorted(entries))
        merged.update(ctx.base)
        return render_labels(merged.items())

    def remove(self, name: str, labels: str) -> bool:
        """Forget the series ``labels`` (rendered) of family ``name``; False when absent."""
        family = self.families.get(name)
        if family is None or family.series.pop(labels, None) is None:
            return False
        self.series_count -= 1
        if not family.series:
            del self.families[name]
        return True

    # -- out -----------------------------------------------------------------------------
    def live(self) -> Iterator[Family]:
        """Families with their series, after removing series (and then families and
        resources) not updated within the expiration."""
        cutoff = self._clock() - self.settings.expiration
        for name in list(self.families):
            family = self.families[name]
            stale = [key for key, s in family.series.items() if s.updated < cutoff]
            for key in stale:
                del family.series[key]
            self.expired += len(stale)
            self.series_count -= len(stale)
            if not family.series:
                del self.families[name]
                continue
            yield family
        for key in [k for k, t in self.targets.items() if t.updated < cutoff]:
            del self.targets[key]


def _job_instance(resource: dict[str, str]) -> list[tuple[str, str]]:
    out = []
    name = resource.get("service.name")
    if name is not None:
        space = resource.get("service.namespace")
        out.append(("job", f"{space}/{name}" if space is not None else name))
    instance = resource.get("service.instance.id")
    if instance is not None:
        out.append(("instance", instance))
    return out


def _types(item: items.PointItem) -> tuple[str, MetricType | None]:
    """(exposition type, naming type) of the item's metric, or (refusal reason, None)."""
    kind, metric = item.kind, item.metric
    if kind == "gauge":
        return "gauge", MetricType.GAUGE
    if kind == "sum":
        temporality = metric.sum.aggregation_temporality
        if temporality not in (DELTA, CUMULATIVE):
            return "unspecified_temporality", None
        if metric.sum.is_monotonic:
            return "counter", MetricType.COUNTER
        if temporality == DELTA:
            return "delta_non_monotonic", None
        return "gauge", MetricType.GAUGE
    if kind in ("histogram", "exponential_histogram"):
        if getattr(metric, kind).aggregation_temporality not in (DELTA, CUMULATIVE):
            return "unspecified_temporality", None
        return "histogram", MetricType.HISTOGRAM
    if kind == "summary":
        return "summary", MetricType.SUMMARY
    return "unsupported", None


_SERIES_CLASS: dict[str | None, type[Series]] = {
    "gauge": NumberSeries, "sum": NumberSeries, "histogram": HistogramSeries,
    "exponential_histogram": ExpHistogramSeries, "summary": SummarySeries,
}
_BOUNDS: dict[tuple[float, ...], tuple[float, ...]] = {}  # one tuple per distinct layout


def _bounds(point: Any) -> tuple[float, ...]:
    bounds = tuple(point.explicit_bounds)
    if len(_BOUNDS) < 10_000:
        return _BOUNDS.setdefault(bounds, bounds)
    return bounds


def _delta(item: items.PointItem) -> bool:
    return bool(getattr(item.metric, item.kind or "").aggregation_temporality == DELTA)


def _create(labels: str, item: items.PointItem, now: float) -> Series:
    point, kind = item.point, item.kind
    if kind == "gauge":
        return NumberSeries(labels, point, now, counter=False)
    if kind == "sum":
        return NumberSeries(labels, point, now, counter=item.metric.sum.is_monotonic)
    if kind == "histogram":
        return HistogramSeries(labels, point, now, _bounds(point))
    if kind == "exponential_histogram":
        return ExpHistogramSeries(labels, point, now)
    return SummarySeries(labels, point, now)


def _update(series: Series, item: items.PointItem, now: float) -> None:
    point = item.point
    if isinstance(series, NumberSeries):
        counter = item.kind == "sum" and item.metric.sum.is_monotonic
        series.update(point, now, item.kind == "sum" and _delta(item), counter)
    elif isinstance(series, HistogramSeries):
        series.update(point, now, _delta(item), _bounds(point))
    elif isinstance(series, ExpHistogramSeries):
        series.update(point, now, _delta(item))
    elif isinstance(series, SummarySeries):
        series.update(point, now)
