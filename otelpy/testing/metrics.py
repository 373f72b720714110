"""Small OTLP metrics requests for tests (the Prometheus engine, its exporters)."""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from otelpy.pdata.values import Attributes

DELTA, CUMULATIVE = 1, 2
RESOURCE = {"service.name": "svc", "service.instance.id": "i-1", "host.name": "h"}


def request(kind: str, name: str = "m", unit: str = "", points: list[dict[str, Any]] | None = None,
            temporality: int = CUMULATIVE, monotonic: bool = True,
            resource: dict[str, Any] | None = None, description: str = "") -> Any:
    """One metric of ``kind`` with ``points`` (fields of the data point, plus ``attrs``)."""
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    Attributes(rm.resource.attributes).update(RESOURCE if resource is None else resource)
    sm = rm.scope_metrics.add()
    sm.scope.name, sm.scope.version = "scope", "1"
    metric = sm.metrics.add()
    metric.name, metric.unit, metric.description = name, unit, description
    data = getattr(metric, kind)
    data.SetInParent()
    if kind == "sum":
        data.is_monotonic = monotonic
    if kind != "gauge" and kind != "summary":
        data.aggregation_temporality = temporality
    for fields in points or [{}]:
        point = data.data_points.add()
        fields = dict(fields)
        Attributes(point.attributes).update(fields.pop("attrs", {}))
        for key, value in fields.items():
            if key in ("positive", "negative"):
                getattr(point, key).offset = value[0]
                getattr(point, key).bucket_counts.extend(value[1])
            elif isinstance(value, list):
                getattr(point, key).extend(value)
            else:
                setattr(point, key, value)
    return req
