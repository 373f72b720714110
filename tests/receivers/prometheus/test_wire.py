"""The OTLP bytes the prometheus receiver writes by hand, read back by the protobuf runtime."""

from __future__ import annotations

import math

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.metrics.v1.metrics_pb2 import Gauge, Metric

from otelpy.pdata.values import Attributes
from otelpy.receivers.prometheus import wire
from otelpy.receivers.prometheus.families import STALE_NAN

T = 1_700_000_000_000_000_000
ATTRS = wire.attributes([("code", "200"), ("path", "/ä" * 70)])  # a two-byte length


def _point(entry: bytes) -> object:
    (point,) = Gauge.FromString(entry).data_points
    return point


def test_number_points_every_layout() -> None:
    p = _point(wire.number_point(ATTRS, T - 5, T, 1.5, False))
    assert (p.start_time_unix_nano, p.time_unix_nano, p.as_double) == (T - 5, T, 1.5)
    assert dict(Attributes(p.attributes)) == {"code": "200", "path": "/ä" * 70}
    p = _point(wire.number_point(ATTRS, 0, T, -0.0, False))
    assert p.start_time_unix_nano == 0 and p.WhichOneof("value") == "as_double"
    assert math.copysign(1, p.as_double) == -1
    for start in (0, T - 5):
        p = _point(wire.number_point(b"", start, T, STALE_NAN, True))
        assert p.flags == 1 and p.WhichOneof("value") is None
        assert (p.start_time_unix_nano, p.time_unix_nano) == (start, T)
    for with_start in (True, False):
        numbers = (wire.START_TIME_VALUE.pack(0x11, T - 5, 0x19, T, 0x21, 2.5) if with_start
                   else wire.TIME_VALUE.pack(0x19, T, 0x21, 2.5))
        p = _point(wire.point_prefix(ATTRS, with_start) + numbers)
        assert (p.time_unix_nano, p.as_double) == (T, 2.5)
        assert p.start_time_unix_nano == (T - 5 if with_start else 0)
        assert len(p.attributes) == 2


def test_metrics_and_request() -> None:
    points = [wire.number_point(ATTRS, T - 5, T, float(i), False) for i in range(3)]
    m = Metric.FromString(wire.metric("c_total", "help", "s", wire.SUM, points, True))
    assert (m.name, m.description, m.unit) == ("c_total", "help", "s")
    assert m.sum.is_monotonic and m.sum.aggregation_temporality == 2
    assert [p.as_double for p in m.sum.data_points] == [0.0, 1.0, 2.0]
    g = Metric.FromString(wire.metric("g", "", "", wire.GAUGE, points[:1]))
    assert g.WhichOneof("data") == "gauge" and len(g.gauge.data_points) == 1
    body = wire.resource_metrics({"service.name": "job"}, "scope", "1.0",
                                 [wire.metric("g", "", "", wire.GAUGE, points)])
    req = ExportMetricsServiceRequest.FromString(body + body)
    assert len(req.resource_metrics) == 2
    rm = req.resource_metrics[0]
    assert dict(Attributes(rm.resource.attributes)) == {"service.name": "job"}
    (sm,) = rm.scope_metrics
    assert (sm.scope.name, sm.scope.version) == ("scope", "1.0")
    assert [p.as_double for p in sm.metrics[0].gauge.data_points] == [0.0, 1.0, 2.0]
