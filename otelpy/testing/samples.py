"""Realistic OTLP sample requests for tests and benchmarks (deterministic per seed)."""

from __future__ import annotations

import random

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import SeverityNumber
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    AggregationTemporality,
    HistogramDataPoint,
    NumberDataPoint,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

_ROUTES = ["/api/orders", "/api/users/{id}", "/checkout", "/health", "/api/cart/items"]
_METHODS = ["GET", "POST", "PUT", "DELETE"]
_CUMULATIVE = AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
_SEVERITIES = {SeverityNumber.SEVERITY_NUMBER_INFO: "INFO",
               SeverityNumber.SEVERITY_NUMBER_WARN: "WARN",
               SeverityNumber.SEVERITY_NUMBER_ERROR: "ERROR"}


def _kv(key: str, value: str | int | float | bool) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def _resource_attrs(service: str) -> list[KeyValue]:
    return [
        _kv("service.name", service),
        _kv("service.version", "1.4.2"),
        _kv("deployment.environment", "production"),
        _kv("host.name", "ip-10-0-3-17"),
    ]


def traces_request(
    spans: int = 512, resources: int = 1, seed: int = 0, start_ns: int = 1_700_000_000_000_000_000
) -> ExportTraceServiceRequest:
    """A request of ``spans`` spans (about 230 bytes each) spread over ``resources``."""
    rnd = random.Random(seed)
    req = ExportTraceServiceRequest()
    per = [spans // resources + (1 if i < spans % resources else 0) for i in range(resources)]
    n = 0
    for r, count in enumerate(per):
        rs = req.resource_spans.add()
        rs.resource.attributes.extend(_resource_attrs(f"checkout-{r}"))
        ss = rs.scope_spans.add()
        ss.scope.name = "io.opentelemetry.aiohttp"
        ss.scope.version = "0.46b0"
        trace_id = rnd.randbytes(16)
        for i in range(count):
            if i % 8 == 0:
                trace_id = rnd.randbytes(16)
            s = ss.spans.add()
            s.trace_id = trace_id
            s.span_id = rnd.randbytes(8)
            if i % 8:
                s.parent_span_id = rnd.randbytes(8)
            method, route = rnd.choice(_METHODS), rnd.choice(_ROUTES)
            s.name = f"{method} {route}"
            s.kind = Span.SpanKind.SPAN_KIND_SERVER
            s.start_time_unix_nano = start_ns + n * 1_000_000
            s.end_time_unix_nano = s.start_time_unix_nano + rnd.randint(100_000, 90_000_000)
            s.attributes.extend(
                [
                    _kv("http.request.method", method),
                    _kv("http.route", route),
                    _kv("http.response.status_code", rnd.choice([200, 200, 200, 201, 404, 500])),
                    _kv("url.scheme", "https"),
                    _kv("server.address", "shop.example.com"),
                    _kv("seq", n),
                ]
            )
            n += 1
    return req


def metrics_request(points: int = 100, seed: int = 0) -> ExportMetricsServiceRequest:
    """A request with gauge, sum and histogram metrics, ``points`` data points in all."""
    rnd = random.Random(seed)
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    rm.resource.attributes.extend(_resource_attrs("checkout-0"))
    sm = rm.scope_metrics.add()
    sm.scope.name = "otelpy.samples"
    kinds = ["gauge", "sum", "histogram"]
    for i in range(points):
        kind = kinds[i % 3]
        m = sm.metrics.add()
        m.name = f"sample.{kind}.{i}"
        m.unit = "ms"
        t = 1_700_000_000_000_000_000 + i
        dp: NumberDataPoint | HistogramDataPoint
        if kind == "gauge":
            dp = m.gauge.data_points.add()
            dp.as_double = rnd.random() * 100
        elif kind == "sum":
            m.sum.is_monotonic = True
            m.sum.aggregation_temporality = _CUMULATIVE
            dp = m.sum.data_points.add()
            dp.as_int = rnd.randint(0, 10_000)
        else:
            m.histogram.aggregation_temporality = _CUMULATIVE
            hist = m.histogram.data_points.add()
            hist.count = 10
            hist.sum = 123.5
            hist.explicit_bounds.extend([1.0, 5.0, 10.0])
            hist.bucket_counts.extend([1, 2, 3, 4])
            dp = hist
        dp.time_unix_nano = t
        dp.attributes.append(_kv("seq", i))
    return req


def logs_request(records: int = 100, seed: int = 0) -> ExportLogsServiceRequest:
    """A request of ``records`` log records with bodies, severities and attributes."""
    rnd = random.Random(seed)
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.extend(_resource_attrs("checkout-0"))
    sl = rl.scope_logs.add()
    sl.scope.name = "otelpy.samples"
    for i in range(records):
        r = sl.log_records.add()
        r.time_unix_nano = 1_700_000_000_000_000_000 + i
        r.severity_number = rnd.choice(list(_SEVERITIES))
        r.severity_text = _SEVERITIES[r.severity_number]
        r.body.string_value = f"order {rnd.randint(1, 99999)} processed in {rnd.randint(1, 900)} ms"
        r.attributes.append(_kv("seq", i))
    return req
