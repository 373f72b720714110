"""Span metrics state: per resource, one calls counter, one duration histogram and one events
counter per dimension set, bounded by the resource cache and the cardinality limit."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from otelpy.connectors.spanmetrics.config import (
    DEFAULT_BUCKETS_MS,
    EXEMPLAR_CEILING,
    Dimension,
    SpanMetricsConfig,
)
from otelpy.pdata.asstring import as_string
from otelpy.pdata.values import Value, to_value
from otelpy.spanstats.histograms import (
    Exemplar,
    Exemplars,
    ExplicitHistogram,
    ExponentialHistogram,
)
from otelpy.spanstats.spans import KIND_NAMES, STATUS_NAMES, attributes_of, duration_ns

OVERFLOW_KEY: tuple[Hashable, ...] = ("\x00otel.metric.overflow",)
OVERFLOW_ATTRS: dict[str, Value] = {"otel.metric.overflow": True}
SCOPE_NAME_KEY = "span.instrumentation.scope.name"
SCOPE_VERSION_KEY = "span.instrumentation.scope.version"
_MISSING = object()


class Series:
    """One data point's state: attributes, start time, count, histogram, exemplars."""

    __slots__ = ("attributes", "start_ns", "count", "histogram", "exemplars", "last_seen")

    def __init__(self, attributes: dict[str, Value], start_ns: int,
                 histogram: ExplicitHistogram | ExponentialHistogram | None,
                 exemplars: Exemplars | None) -> None:
        self.attributes = attributes
        self.start_ns = start_ns
        self.count = 0
        self.histogram = histogram
        self.exemplars = exemplars
        self.last_seen = 0.0


class Table(dict[tuple[Hashable, ...], Series]):
    """Series of one metric in one resource; refuses series past ``limit`` (0 = none)."""

    def series(self, key: tuple[Hashable, ...], build: Callable[[], dict[str, Value]],
               limit: int, make: Callable[[dict[str, Value]], Series]) -> tuple[Series, bool]:
        found = self.get(key)
        if found is not None:
            return found, False
        overflow = bool(limit) and len(self) >= limit
        if overflow:
            key = OVERFLOW_KEY
            found = self.get(key)
            if found is not None:
                return found, True
        created = self[key] = make(dict(OVERFLOW_ATTRS) if overflow else build())
        return created, overflow


# spans of one (name, kind, status code) in one scope: durations, bucket counts (or None)
Group = tuple[str, int, int, list[float], "list[int] | None"]
# the series a span goes to: calls, calls overflowed, duration (None: disabled), overflowed
Targets = tuple[Series, bool, Series | None, bool]
TARGETS_CACHE_MAX = 10_000  # per resource; cleared when full


@dataclass
class ResourceState:
    attributes: dict[str, Value]
    calls: Table
    durations: Table
    events: Table
    last_seen: float = 0.0
    # what decides a span's series (scope context, name, kind, status, dimension values)
    # -> its series; cleared whenever a series is removed
    targets: dict[Hashable, Targets] = field(default_factory=dict)


def _key_part(value: Value) -> Hashable:
    return value if type(value) is str else (type(value).__name__, as_string(value))


@dataclass(frozen=True)
class _Dims:
    names: tuple[str, ...]
    defaults: tuple[Value | object, ...]

    @classmethod
    def of(cls, dims: Sequence[Dimension]) -> _Dims:
        return cls(tuple(d.name for d in dims),
                   tuple(_MISSING if d.default is None else d.default for d in dims))

    def values(self, *maps: dict[str, Value]) -> list[tuple[str, Value | object]]:
        out: list[tuple[str, Value | object]] = []
        for name, default in zip(self.names, self.defaults, strict=True):
            value: Value | object = default
            for m in maps:
                if name in m:
                    value = m[name]
                    break
            out.append((name, value))
        return out


class Aggregator:
    """Aggregates spans into per-resource series; see the connector's module docstring."""

    def __init__(self, cfg: SpanMetricsConfig) -> None:
        self.cfg = cfg
        self.dims = _Dims.of(cfg.dimensions)
        self.calls_dims = _Dims.of(cfg.calls_dimensions)
        self.hist_dims = _Dims.of(cfg.histogram.dimensions)
        self.event_dims = _Dims.of([*cfg.dimensions, *cfg.events.dimensions])
        names = [*self.dims.names, *self.calls_dims.names, *self.hist_dims.names]
        self.span_keys = frozenset(names + list(self.event_dims.names))
        self.resource_keys = frozenset(names + list(self.event_dims.names))
        self.excluded = frozenset(cfg.exclude_dimensions)
        self.scopes = frozenset(cfg.include_instrumentation_scope)
        self.key_attributes = frozenset(cfg.resource_metrics_key_attributes)
        self.divider = 1e6 if cfg.histogram.unit == "ms" else 1e9
        self.bounds = self._bounds()
        self.exemplar_limit = cfg.exemplars.max_per_data_point or EXEMPLAR_CEILING
        # spans may be counted per (name, kind, status) group (see _add_grouped)
        self.grouped = not (self.span_keys or cfg.exemplars.enabled or cfg.events.enabled)
        self.resources: OrderedDict[Hashable, ResourceState] = OrderedDict()
        self.evicted_resources = 0
        self.overflowed_spans = 0

    def _bounds(self) -> list[float]:
        explicit = self.cfg.histogram.explicit
        if explicit is not None and explicit.buckets is not None:
            return [b * 1e9 / self.divider for b in explicit.buckets]
        return [b * 1e6 / self.divider for b in DEFAULT_BUCKETS_MS]

    # -- series factories ---------------------------------------------------------------
    def _exemplars(self) -> Exemplars | None:
        return Exemplars(self.exemplar_limit) if self.cfg.exemplars.enabled else None

    def _histogram(self) -> ExplicitHistogram | ExponentialHistogram:
        exp = self.cfg.histogram.exponential
        if exp is not None:
            return ExponentialHistogram(exp.max_size or 160)
        return ExplicitHistogram(self.bounds)

    # -- resources ------------------------------------------------------------------------
    def resource(self, resource: Any, now: float) -> ResourceState:
        attrs = {kv.key: to_value(kv.value) for kv in resource.attributes}
        keyed = ({k: v for k, v in attrs.items() if k in self.key_attributes}
                 if self.key_attributes else attrs)
        key = tuple(sorted((k, _key_part(v)) for k, v in keyed.items()))
        state = self.resources.get(key)
        if state is None:
            shown = attrs if self.cfg.add_resource_attributes else {}
            state = ResourceState(shown, Table(), Table(), Table())
            self.resources[key] = state
            while len(self.resources) > self.cfg.resource_metrics_cache_size:
                self.resources.popitem(last=False)
                self.evicted_resources += 1
        else:
            self.resources.move_to_end(key)
        state.last_seen = now
        return state

    # -- spans ----------------------------------------------------------------------------
    def add_scope(self, state: ResourceState, service: str, resource_attrs: dict[str, Value],
                  scope: Any, spans: Any, now: float, now_ns: int) -> None:
        """Aggregate the spans of one scope of one resource."""
        scope_attrs: list[tuple[str, Value | object]] = []
        if scope.name in self.scopes:
            scope_attrs = [(SCOPE_NAME_KEY, scope.name), (SCOPE_VERSION_KEY, scope.version)]
        context = (service, tuple((k, _key_part(v)) for k, v in resource_attrs.items()),
                   tuple(scope_attrs))
        if self.grouped:
            self._add_grouped(state, service, resource_attrs, scope_attrs, spans, now,
                              now_ns, context)
            return
        for span in spans:
            self.add_span(state, service, resource_attrs, scope_attrs, span, now, now_ns,
                          context)

    def _add_grouped(self, state: ResourceState, service: str,
                     resource_attrs: dict[str, Value],
                     scope_attrs: list[tuple[str, Value | object]], spans: Any, now: float,
                     now_ns: int, context: Hashable) -> None:
        """:meth:`add_span` for every span when nothing per span but name, kind, status and
        duration matters (no span dimensions, exemplars or events): spans are grouped by
        (name, kind, status) first, then each group counts once in its series, in the
        order the groups first appear (so series are made in the same order)."""
        groups: dict[tuple[str, int, int], list[float]] = {}
        divider = self.divider
        for span in spans:
            d = span.end_time_unix_nano - span.start_time_unix_nano
            key = (span.name, span.kind, span.status.code)
            values = groups.get(key)
            if values is None:
                values = groups[key] = []
            values.append(d / divider if d > 0 else 0.0)
        for key, values in groups.items():
            self._count_group(state, service, resource_attrs, scope_attrs, key, values, None,
                              now, now_ns, context)

    def add_groups(self, state: ResourceState, service: str,
                   resource_attrs: dict[str, Value], scope: Any, groups: Sequence[Group],
                   now: float, now_ns: int) -> None:
        """What :meth:`add_scope` does in grouped mode, for spans already grouped by
        ``otelpy.native._spanscan.span_groups`` (bucket counts made against ``bounds``)."""
        scope_attrs: list[tuple[str, Value | object]] = []
        if scope is not None and scope.name in self.scopes:
            scope_attrs = [(SCOPE_NAME_KEY, scope.name), (SCOPE_VERSION_KEY, scope.version)]
        context = (service, tuple((k, _key_part(v)) for k, v in resource_attrs.items()),
                   tuple(scope_attrs))
        for name, kind, code, values, counts in groups:
            self._count_group(state, service, resource_attrs, scope_attrs, (name, kind, code),
                              values, counts, now, now_ns, context)

    def _count_group(self, state: ResourceState, service: str,
                     resource_attrs: dict[str, Value],
                     scope_attrs: list[tuple[str, Value | object]],
                     key: tuple[str, int, int], values: list[float],
                     counts: list[int] | None, now: float, now_ns: int,
                     context: Hashable) -> None:
        cache = state.targets
        full = (context, *key)
        targets = cache.get(full)
        if targets is None:
            targets = self._targets(state, service, resource_attrs, scope_attrs, key, {},
                                    now_ns)
            if len(cache) >= TARGETS_CACHE_MAX:
                cache.clear()
            cache[full] = targets
        calls, calls_over, durations, durations_over = targets
        calls.count += len(values)
        calls.last_seen = now
        self.overflowed_spans += (calls_over + durations_over) * len(values)
        if durations is not None:
            hist = durations.histogram
            if counts is not None and isinstance(hist, ExplicitHistogram):
                hist.add_counted(counts, values)
            else:
                hist.observe_many(values)  # type: ignore[union-attr]
            durations.last_seen = now

    def _base(self, service: str, name: str, kind: int, code: int
              ) -> list[tuple[str, Value | object]]:
        base: list[tuple[str, Value | object]] = [
            ("service.name", service), ("span.name", name),
            ("span.kind", KIND_NAMES[kind] if kind < 6 else "SPAN_KIND_UNSPECIFIED"),
            ("status.code", STATUS_NAMES[code] if code < 3 else "STATUS_CODE_UNSET")]
        return [p for p in base if p[0] not in self.excluded] if self.excluded else base

    def add_span(self, state: ResourceState, service: str, resource_attrs: dict[str, Value],
                 scope_attrs: list[tuple[str, Value | object]], span: Any, now: float,
                 now_ns: int, context: Hashable = None) -> None:
        """Count one span (``context``: what add_scope derived from its resource and scope,
        part of the key its series are remembered under)."""
        span_attrs = attributes_of(span.attributes, self.span_keys) if self.span_keys else {}
        key = (context, span.name, span.kind, span.status.code,
               *[(k, _key_part(v)) for k, v in span_attrs.items()])
        targets = state.targets.get(key)
        if targets is None:
            targets = self._targets(state, service, resource_attrs, scope_attrs,
                                    (span.name, span.kind, span.status.code), span_attrs,
                                    now_ns)
            if len(state.targets) >= TARGETS_CACHE_MAX:
                state.targets.clear()
            state.targets[key] = targets
        calls, calls_over, durations, durations_over = targets
        value = duration_ns(span) / self.divider
        exemplar = (Exemplar(span.trace_id, span.span_id, value, span.end_time_unix_nano)
                    if self.cfg.exemplars.enabled and any(span.trace_id) else None)
        calls.count += 1
        calls.last_seen = now
        self.overflowed_spans += calls_over + durations_over
        if exemplar is not None and calls.exemplars is not None:
            calls.exemplars.offer(exemplar)
        if durations is not None:
            durations.histogram.observe(value)  # type: ignore[union-attr]
            durations.last_seen = now
            if exemplar is not None and durations.exemplars is not None:
                durations.exemplars.offer(exemplar)
        if self.cfg.events.enabled and len(span.events):
            self._add_events(state, service, resource_attrs, scope_attrs, span, exemplar,
                             now, now_ns)

    def _targets(self, state: ResourceState, service: str, resource_attrs: dict[str, Value],
                 scope_attrs: list[tuple[str, Value | object]], group: tuple[str, int, int],
                 span_attrs: dict[str, Value], now_ns: int) -> Targets:
        """The series a span of ``group`` (name, kind, status code) goes to."""
        base = self._base(service, *group) + self.dims.values(span_attrs, resource_attrs)
        base += scope_attrs
        limit = self.cfg.aggregation_cardinality_limit
        calls = base + self.calls_dims.values(span_attrs, resource_attrs)
        calls_series, calls_over = self._series(state.calls, calls, limit, now_ns, False)
        if self.cfg.histogram.disable:
            return calls_series, calls_over, None, False
        dims = base + self.hist_dims.values(span_attrs, resource_attrs)
        series, over = self._series(state.durations, dims, limit, now_ns, True)
        return calls_series, calls_over, series, over

    def _add_events(self, state: ResourceState, service: str,
                    resource_attrs: dict[str, Value],
                    scope_attrs: list[tuple[str, Value | object]], span: Any,
                    exemplar: Exemplar | None, now: float, now_ns: int) -> None:
        span_attrs = attributes_of(span.attributes, self.span_keys)
        for event in span.events:
            merged = dict(resource_attrs)
            merged.update(attributes_of(event.attributes, self.span_keys))
            dims = (self._base(service, span.name, span.kind, span.status.code)
                    + self.event_dims.values(span_attrs, merged)
                    + scope_attrs)
            series, over = self._series(state.events, dims,
                                        self.cfg.aggregation_cardinality_limit, now_ns, False)
            self.overflowed_spans += over
            series.count += 1
            series.last_seen = now
            if exemplar is not None and series.exemplars is not None:
                series.exemplars.offer(exemplar)

    def _series(self, table: Table, dims: list[tuple[str, Value | object]], limit: int,
                now_ns: int, with_histogram: bool) -> tuple[Series, bool]:
        key = tuple(_key_part(v) if v is not _MISSING else _MISSING
                    for _, v in dims)  # type: ignore[arg-type]

        def build() -> dict[str, Value]:
            return {k: v for k, v in dims if v is not _MISSING}  # type: ignore[misc]

        def make(attrs: dict[str, Value]) -> Series:
            return Series(attrs, now_ns, self._histogram() if with_histogram else None,
                          self._exemplars())

        return table.series(key, build, limit, make)
