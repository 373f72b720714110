"""Splitting a request into several by a key per resource or per item.

Routing sends different parts of one request to different pipelines. :func:`partition`
walks the request at one level (``resource``, ``scope``, ``span``, ``log``, ``metric`` or
``datapoint``), asks ``key_of`` for each element, and returns one new request per key
holding copies of the elements with that key under copies of their resource and scope
envelopes (order kept). The input is not changed. When every element has the same key,
the answer is ``{key: None}``: the caller forwards the original as it is, with no copy.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from otelpy.pdata.items import (
    LogItem,
    MetricItem,
    PointItem,
    ResourceItem,
    ScopeItem,
    SpanItem,
    _envelopes,
    point_kind,
)

K = TypeVar("K", bound=Hashable)

__all__ = ["LEVELS", "partition"]

#: The levels :func:`partition` splits at, from coarsest to finest.
LEVELS = ("resource", "scope", "span", "log", "metric", "datapoint")


class _Out:
    """The new requests, with the envelopes copied into each so far."""

    def __init__(self, request: Any) -> None:
        self._cls = type(request)
        self.res_field, self.scope_field, self.item_field = _envelopes(request)
        self.requests: dict[Any, Any] = {}
        self._res: dict[tuple[Any, int], Any] = {}
        self._scope: dict[tuple[Any, int], Any] = {}

    def resource(self, key: Any, res: Any) -> Any:
        found = self._res.get((key, id(res)))
        if found is None:
            req = self.requests.get(key)
            if req is None:
                req = self.requests[key] = self._cls()
            found = getattr(req, self.res_field).add(schema_url=res.schema_url)
            found.resource.CopyFrom(res.resource)
            self._res[(key, id(res))] = found
        return found

    def scope(self, key: Any, res: Any, scope: Any) -> Any:
        found = self._scope.get((key, id(scope)))
        if found is None:
            found = getattr(self.resource(key, res), self.scope_field).add(
                schema_url=scope.schema_url)
            found.scope.CopyFrom(scope.scope)
            self._scope[(key, id(scope))] = found
        return found


def _keys(request: Any, level: str, key_of: Callable[[Any], Any]) -> list[tuple[Any, Any]]:
    """(element, key) pairs in order; elements are the items of ``level``."""
    res_field, scope_field, item_field = _envelopes(request)
    out: list[tuple[Any, Any]] = []
    for res in getattr(request, res_field):
        if level == "resource":
            out.append((ResourceItem(res), key_of(ResourceItem(res))))
            continue
        for scope in getattr(res, scope_field):
            if level == "scope":
                out.append((ScopeItem(res, scope), key_of(ScopeItem(res, scope))))
                continue
            for item in getattr(scope, item_field):
                if level == "datapoint":
                    kind = point_kind(item)
                    for point in getattr(item, kind).data_points if kind else ():
                        element = PointItem(res, scope, item, point)
                        out.append((element, key_of(element)))
                    continue
                element = _ITEM[level](res, scope, item)
                out.append((element, key_of(element)))
    return out


_ITEM: dict[str, Callable[[Any, Any, Any], Any]] = {
    "span": SpanItem, "log": LogItem, "metric": MetricItem}


def _copy_point(out: _Out, key: Any, element: PointItem, metrics: dict[tuple[Any, int], Any]
                ) -> None:
    metric = metrics.get((key, id(element.metric)))
    if metric is None:
        scope = out.scope(key, element.resource, element.scope)
        metric = scope.metrics.add()
        metric.CopyFrom(element.metric)
        kind = point_kind(metric)
        if kind:
            getattr(metric, kind).ClearField("data_points")
        metrics[(key, id(element.metric))] = metric
    kind = point_kind(metric)
    if kind:
        getattr(metric, kind).data_points.add().CopyFrom(element.point)


def partition(request: Any, level: str, key_of: Callable[[Any], K]) -> dict[K, Any]:
    """One new request per key ``key_of`` gives the elements of ``level``; ``{key: None}``
    when all share one key (and ``{}`` for a request with no elements)."""
    pairs = _keys(request, level, key_of)
    keys = {key for _, key in pairs}
    if len(keys) <= 1:
        return {key: None for key in keys}
    out = _Out(request)
    metrics: dict[tuple[Any, int], Any] = {}
    for element, key in pairs:
        if level == "resource":
            res = element.resource
            getattr(out.requests.setdefault(key, out._cls()), out.res_field).add().CopyFrom(res)
        elif level == "scope":
            getattr(out.resource(key, element.resource), out.scope_field).add().CopyFrom(
                element.scope)
        elif level == "datapoint":
            _copy_point(out, key, element, metrics)
        else:
            scope = out.scope(key, element.resource, element.scope)
            getattr(scope, out.item_field).add().CopyFrom(element[2])
    return out.requests
