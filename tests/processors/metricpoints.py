"""Building small metrics requests point by point for the temporality processor tables."""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality

from otelpy.component import ComponentID, Kind, Settings
from otelpy.pdata import items
from otelpy.pdata.values import Attributes
from otelpy.telemetry import Telemetry
from otelpy.testing.clock import FakeClock

DELTA = AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
CUMULATIVE = AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
S = 1_000_000_000  # one second in ns
T0 = 1_767_225_600 * S  # FakeClock's default start


def request_with(kind: str, temporality: int, points: list[dict[str, Any]],
                 name: str = "m", monotonic: bool = True,
                 service: str = "svc") -> ExportMetricsServiceRequest:
    """One metric ``name`` of ``kind`` holding ``points`` (dicts of point fields plus
    ``attrs``)."""
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    Attributes(rm.resource.attributes)["service.name"] = service
    metric = rm.scope_metrics.add().metrics.add()
    metric.name = name
    data = getattr(metric, kind)
    data.aggregation_temporality = temporality
    if kind == "sum":
        data.is_monotonic = monotonic
    for spec in points:
        spec = dict(spec)
        point = data.data_points.add()
        for key, value in spec.pop("attrs", {}).items():
            Attributes(point.attributes)[key] = value
        for field, value in spec.items():
            if field in ("positive", "negative"):
                getattr(point, field).offset = value[0]
                getattr(point, field).bucket_counts.extend(value[1])
            elif isinstance(value, list):
                getattr(point, field).extend(value)
            else:
                setattr(point, field, value)
    return req


def points_of(request: Any) -> list[Any]:
    return [p.point for p in items.data_points(request)]


def settings_for(type_: str, clock: FakeClock, telemetry: Telemetry) -> Settings:
    return Settings(ComponentID(type_), Kind.PROCESSOR, logging.getLogger(f"test.{type_}"),
                    telemetry, clock)
