"""Walking the items of a decoded request with their resource and scope, and removing some.

Components never walk ``resource_spans`` / ``scope_spans`` themselves: they iterate here and
read or change what they get (``item.span.name = ...``, ``item.attributes["k"] = v``). Each
item is a small tuple of live protobuf messages, so a change made through it is a change of
the request; take the request from :meth:`Batch.mutable_message` when changing, and from
:attr:`Batch.message` when only reading.

=================  ===================================================  ==================
context            yields                                               ``attributes`` of
=================  ===================================================  ==================
:func:`resources`  ``ResourceItem(resource)``                          the resource
:func:`scopes`     ``ScopeItem(resource, scope)``                      the scope
:func:`spans`      ``SpanItem(resource, scope, span)``                 the span
:func:`span_events` ``SpanEventItem(resource, scope, span, event)``   the event
:func:`log_records` ``LogItem(resource, scope, record)``              the log record
:func:`metrics`    ``MetricItem(resource, scope, metric)``             (none: metrics have none)
:func:`data_points` ``PointItem(resource, scope, metric, point)``     the data point
=================  ===================================================  ==================

``resource`` is the ``Resource*`` envelope (``.resource.attributes``, ``.schema_url``) and
``scope`` the ``Scope*`` envelope (``.scope.name``, ``.scope.version``, ``.schema_url``);
``resource_attributes`` and ``scope_attributes`` give their attributes as mappings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, TypeVar

from otelpy.component import Signal
from otelpy.pdata.values import Attributes

__all__ = [
    "POINT_KINDS", "LogItem", "MetricItem", "PointItem", "ResourceItem", "ScopeItem",
    "SpanEventItem", "SpanItem", "data_points", "group_resources", "log_records", "metrics",
    "point_kind", "prune_empty",
    "resources", "retain_data_points", "retain_log_records", "retain_metrics", "retain_span_events",
    "retain_spans",
    "scopes", "span_events", "spans",
]

K = TypeVar("K")

_ENVELOPES = {
    Signal.TRACES: ("resource_spans", "scope_spans", "spans"),
    Signal.METRICS: ("resource_metrics", "scope_metrics", "metrics"),
    Signal.LOGS: ("resource_logs", "scope_logs", "log_records"),
}
_REQUEST_SIGNAL = {
    "ExportTraceServiceRequest": Signal.TRACES,
    "ExportMetricsServiceRequest": Signal.METRICS,
    "ExportLogsServiceRequest": Signal.LOGS,
}
#: The data-point kinds of a metric, as its ``data`` oneof names them.
POINT_KINDS = ("gauge", "sum", "histogram", "exponential_histogram", "summary")


class _InResource:
    """Attribute access shared by the items below (all have a ``resource`` envelope)."""

    __slots__ = ()
    resource: Any

    @property
    def resource_attributes(self) -> Attributes:
        return Attributes(self.resource.resource.attributes)


class _InScope(_InResource):
    __slots__ = ()
    scope: Any

    @property
    def scope_attributes(self) -> Attributes:
        return Attributes(self.scope.scope.attributes)


class ResourceItem(_InResource, NamedTuple("_R", [("resource", Any)])):
    @property
    def attributes(self) -> Attributes:
        return self.resource_attributes


class ScopeItem(_InScope, NamedTuple("_S", [("resource", Any), ("scope", Any)])):
    @property
    def attributes(self) -> Attributes:
        return self.scope_attributes


class SpanItem(_InScope, NamedTuple("_Sp", [("resource", Any), ("scope", Any), ("span", Any)])):
    @property
    def attributes(self) -> Attributes:
        return Attributes(self.span.attributes)


class SpanEventItem(_InScope, NamedTuple("_Ev", [("resource", Any), ("scope", Any),
                                                 ("span", Any), ("event", Any)])):
    @property
    def attributes(self) -> Attributes:
        return Attributes(self.event.attributes)


class LogItem(_InScope, NamedTuple("_L", [("resource", Any), ("scope", Any), ("record", Any)])):
    @property
    def attributes(self) -> Attributes:
        return Attributes(self.record.attributes)


class MetricItem(_InScope, NamedTuple("_M", [("resource", Any), ("scope", Any),
                                             ("metric", Any)])):
    @property
    def kind(self) -> str | None:
        """``gauge``, ``sum``, ``histogram``, ``exponential_histogram``, ``summary`` or None."""
        return point_kind(self.metric)


class PointItem(_InScope, NamedTuple("_P", [("resource", Any), ("scope", Any),
                                            ("metric", Any), ("point", Any)])):
    @property
    def attributes(self) -> Attributes:
        return Attributes(self.point.attributes)

    @property
    def kind(self) -> str | None:
        return point_kind(self.metric)


def point_kind(metric: Any) -> str | None:
    """The metric's data kind (the set member of its ``data`` oneof), or None when unset."""
    kind: str | None = metric.WhichOneof("data")
    return kind


def _envelopes(request: Any) -> tuple[str, str, str]:
    return _ENVELOPES[_REQUEST_SIGNAL[request.DESCRIPTOR.name]]


def group_resources(request: Any, key: Callable[[ResourceItem], K]) -> dict[K, Any]:
    """The request's resource envelopes grouped by ``key``: one new request (of the same
    type, envelopes copied) per distinct key, in first-seen order."""
    res_field, _, _ = _envelopes(request)
    groups: dict[K, Any] = {}
    for res in getattr(request, res_field):
        group_key = key(ResourceItem(res))
        out = groups.get(group_key)
        if out is None:
            out = groups[group_key] = type(request)()
        getattr(out, res_field).append(res)
    return groups


def resources(request: Any) -> Iterator[ResourceItem]:
    res_field, _, _ = _envelopes(request)
    for res in getattr(request, res_field):
        yield ResourceItem(res)


def scopes(request: Any) -> Iterator[ScopeItem]:
    res_field, scope_field, _ = _envelopes(request)
    for res in getattr(request, res_field):
        for scope in getattr(res, scope_field):
            yield ScopeItem(res, scope)


#: ``tuple.__new__(SpanItem, (res, scope, span))`` makes an item without the Python-level
#: ``__new__`` of a NamedTuple (half the cost, on paths that run per span)
_new = tuple.__new__


def spans(request: Any) -> Iterator[SpanItem]:
    for res in request.resource_spans:
        for scope in res.scope_spans:
            for span in scope.spans:
                yield _new(SpanItem, (res, scope, span))


def span_events(request: Any) -> Iterator[SpanEventItem]:
    for res, scope, span in spans(request):
        for event in span.events:
            yield SpanEventItem(res, scope, span, event)


def log_records(request: Any) -> Iterator[LogItem]:
    for res in request.resource_logs:
        for scope in res.scope_logs:
            for record in scope.log_records:
                yield _new(LogItem, (res, scope, record))


def metrics(request: Any) -> Iterator[MetricItem]:
    for res in request.resource_metrics:
        for scope in res.scope_metrics:
            for metric in scope.metrics:
                yield MetricItem(res, scope, metric)


def data_points(request: Any) -> Iterator[PointItem]:
    for res, scope, metric in metrics(request):
        kind = point_kind(metric)
        if kind is None:
            continue
        for point in getattr(metric, kind).data_points:
            yield PointItem(res, scope, metric, point)


# -- removing items ----------------------------------------------------------------------
_Item = TypeVar("_Item", bound=tuple[Any, ...])


def _remove(container: Any, doomed: Callable[[Any], bool]) -> int:
    """Delete the elements of a repeated field for which ``doomed`` holds; count them."""
    drop = [i for i, element in enumerate(container) if doomed(element)]
    for index in reversed(drop):
        del container[index]
    return len(drop)


def _retain_items(request: Any, make: type[_Item], keep: Callable[[_Item], bool]) -> int:
    """Filter the item lists of every scope; drop scopes and resources left empty."""
    res_field, scope_field, item_field = _envelopes(request)
    removed = 0
    for res in getattr(request, res_field):
        for scope in getattr(res, scope_field):
            removed += _remove(getattr(scope, item_field),
                               lambda item: not keep(_new(make, (res, scope, item))))  # noqa: B023
    if removed:
        prune_empty(request)
    return removed


def prune_empty(request: Any) -> None:
    """Remove scopes with no items and resources with no scopes (as the Collector's filter)."""
    res_field, scope_field, item_field = _envelopes(request)
    for res in getattr(request, res_field):
        _remove(getattr(res, scope_field), lambda s: not getattr(s, item_field))
    _remove(getattr(request, res_field), lambda r: not getattr(r, scope_field))


def retain_spans(request: Any, keep: Callable[[SpanItem], bool]) -> int:
    """Remove the spans for which ``keep`` is false; returns how many were removed."""
    return _retain_items(request, SpanItem, keep)


def retain_log_records(request: Any, keep: Callable[[LogItem], bool]) -> int:
    """Remove the log records for which ``keep`` is false; returns how many were removed."""
    return _retain_items(request, LogItem, keep)


def retain_metrics(request: Any, keep: Callable[[MetricItem], bool]) -> int:
    """Remove whole metrics for which ``keep`` is false; returns how many data points went."""
    points = 0

    def keep_counting(item: MetricItem) -> bool:
        nonlocal points
        if keep(item):
            return True
        kind = item.kind
        points += len(getattr(item.metric, kind).data_points) if kind else 0
        return False

    _retain_items(request, MetricItem, keep_counting)
    return points


def retain_data_points(request: Any, keep: Callable[[PointItem], bool]) -> int:
    """Remove the data points for which ``keep`` is false, then metrics left without points;
    returns how many data points were removed."""
    removed = 0
    for res, scope, metric in metrics(request):
        kind = point_kind(metric)
        if kind is None:
            continue
        removed += _remove(getattr(metric, kind).data_points,
                           lambda p: not keep(PointItem(res, scope, metric, p)))  # noqa: B023
    if removed:
        _retain_items(request, MetricItem,
                      lambda m: m.kind is None or len(getattr(m.metric, m.kind).data_points) > 0)
    return removed


def retain_span_events(request: Any, keep: Callable[[SpanEventItem], bool]) -> int:
    """Remove the span events for which ``keep`` is false (spans stay, even when left
    without events); returns how many events were removed."""
    removed = 0
    for res, scope, span in spans(request):
        if span.events:
            removed += _remove(span.events,
                               lambda e: not keep(SpanEventItem(res, scope, span, e)))  # noqa: B023
    return removed
