"""Stream identity: which data points belong to the same time series.

A stream is identified, as in the Collector's ``streams.Ident``, by its resource attributes,
its scope (name, version, attributes), the metric's name, unit, data kind, monotonicity and
temporality, and the point's attributes. Attribute order does not matter: two points whose
attributes differ only in order are one stream.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

__all__ = ["StreamKeys", "attributes_key"]


def attributes_key(attributes: Iterable[Any]) -> tuple[tuple[str, bytes], ...]:
    """An order-independent, hashable key of a repeated ``KeyValue`` field."""
    return tuple(sorted((kv.key, kv.value.SerializeToString(deterministic=True))
                        for kv in attributes))


class StreamKeys:
    """Builds stream keys for the points of one request, computing the resource and scope
    parts once per envelope (not once per point)."""

    def __init__(self) -> None:
        self._resources: dict[int, Hashable] = {}
        self._scopes: dict[int, Hashable] = {}

    def _resource(self, resource_envelope: Any) -> Hashable:
        key = self._resources.get(id(resource_envelope))
        if key is None:
            key = attributes_key(resource_envelope.resource.attributes)
            self._resources[id(resource_envelope)] = key
        return key

    def _scope(self, scope_envelope: Any) -> Hashable:
        key = self._scopes.get(id(scope_envelope))
        if key is None:
            scope = scope_envelope.scope
            key = (scope.name, scope.version, attributes_key(scope.attributes))
            self._scopes[id(scope_envelope)] = key
        return key

    def metric_key(self, resource_envelope: Any, scope_envelope: Any, metric: Any,
                   kind: str) -> Hashable:
        """The part of a stream key shared by every point of ``metric``."""
        data = getattr(metric, kind)
        monotonic = getattr(data, "is_monotonic", False)
        temporality = getattr(data, "aggregation_temporality", 0)
        return (self._resource(resource_envelope), self._scope(scope_envelope), metric.name,
                metric.unit, kind, monotonic, temporality)

    @staticmethod
    def point_key(metric_key: Hashable, point: Any) -> Hashable:
        """The key of one point's stream under ``metric_key``."""
        return (metric_key, attributes_key(point.attributes))
