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
from otelpy.prometheus.labels import render_labels
from otelpy.prometheus.labelsets import LabelContext, LabelMaker
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
    """A resource and scope's shared labels and its target_info label set (or None)."""

    __slots__ = ("labels", "target", "key")

    def __init__(self, labels: LabelContext, target: str | None) -> None:
        self.labels = labels
        self.target = target
        # what a point's labels depend on besides its own attributes (rendered-labels cache)
        self.key = (tuple(labels.base), tuple(labels.resource_attrs.items()))


class SeriesStore:
    """Accumulated series, read by the renderers; not thread-safe (one event loop)."""

    def __init__(self, settings: StoreSettings,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.metric_namer = MetricNamer(namespace=self._namespace(settings),
                                        with_suffixes=settings.add_metric_suffixes)
        self.label_namer = LabelNamer()
        self.label_maker = LabelMaker(
            resource_to_telemetry=settings.resource_to_telemetry,
            exclude_service_attributes=settings.exclude_service_attributes,
            without_scope_info=settings.without_scope_info, const=settings.const_labels)
        self.families: dict[str, Family] = {}
        self.targets: dict[str, TargetInfo] = {}
        self.refused: Counter[str] = Counter()
        self.expired = 0
        self.series_count = 0
        self._clock = clock
        # (context key, serialized point attributes) -> rendered labels: series are stable
        # from one export to the next, so most points skip building and rendering labels
        self._rendered: dict[tuple[object, bytes], str] = {}
        # (resource, scope, schema URL) as bytes -> its shared labels and target_info labels
        self._contexts: dict[tuple[bytes, bytes, str], _Context] = {}

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
        scope = item.scope
        key = (item.resource.resource.SerializeToString(), scope.scope.SerializeToString(),
               scope.schema_url)
        ctx = self._contexts.get(key)
        if ctx is None:
            if len(self._contexts) >= self.settings.max_series:
                self._contexts.clear()
            labels = self.label_maker.context(item)
            ctx = self._contexts[key] = _Context(labels, self._target_labels(labels))
        self._remember_target(ctx.target, now)
        return ctx

    def _target_labels(self, ctx: LabelContext) -> str | None:
        if len(ctx.job_instance) < 2:
            return None
        return render_labels(self.label_maker.resource_labels(ctx).items())

    def _remember_target(self, labels: str | None, now: float) -> None:
        if labels is None:
            return
        entry = self.targets.get(labels)
        if entry is None:
            self.targets[labels] = TargetInfo(labels, now)
        else:
            entry.updated = now

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
        key = (ctx.key, b"".join(kv.SerializeToString() for kv in item.point.attributes))
        rendered = self._rendered.get(key)
        if rendered is None:
            if len(self._rendered) >= 2 * self.settings.max_series:
                self._rendered.clear()
            rendered = render_labels(self.label_maker.point_labels(item, ctx.labels).items())
            self._rendered[key] = rendered
        return rendered

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
