"""spanmetrics: the grouped fast path (spans counted per name, kind and status group) gives
the same metrics as counting span by span, with and without a cardinality limit."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.connectors.spanmetrics.aggregate import Aggregator
from otelpy.connectors.spanmetrics.config import SpanMetricsConfig
from otelpy.pdata import items
from otelpy.pdata.values import Attributes, to_value
from otelpy.spanstats.spans import service_name


def request() -> ExportTraceServiceRequest:
    """Three services, spans of every kind and status, durations negative to long."""
    req = ExportTraceServiceRequest()
    for r, service in enumerate(("a", "b", "c")):
        rs = req.resource_spans.add()
        Attributes(rs.resource.attributes).update({"service.name": service, "n": r})
        for s in range(2):
            ss = rs.scope_spans.add()
            ss.scope.name = f"scope{s}"
            for i in range(300):
                start = 1_000_000 * i + 10_000_000
                span = ss.spans.add(name=f"op{(i * 7 + r) % 11}", kind=i % 7,
                                    trace_id=bytes([i % 256]) * 16, span_id=bytes([r]) * 8,
                                    start_time_unix_nano=start,
                                    end_time_unix_nano=start + (i * 37 % 5000 - 50) * 100_000)
                span.status.code = i * 5 % 4
    return req


def aggregate(cfg: SpanMetricsConfig, grouped: bool) -> Aggregator:
    agg = Aggregator(cfg)
    assert agg.grouped
    agg.grouped = grouped
    for res, scope in items.scopes(request()):
        service = service_name(res.resource)
        assert service is not None
        attrs = {kv.key: to_value(kv.value) for kv in res.resource.attributes
                 if kv.key in agg.resource_keys}
        agg.add_scope(agg.resource(res.resource, 1.0), service, attrs, scope.scope,
                      scope.spans, 1.0, 5)
    return agg


def summary(agg: Aggregator) -> list[Any]:
    out: list[Any] = [agg.overflowed_spans]
    for rkey, state in agg.resources.items():
        for table in (state.calls, state.durations):
            for key, s in table.items():
                h = s.histogram
                out.append((rkey, key, s.attributes, s.count, s.start_ns, s.last_seen,
                            None if h is None else (h.count, getattr(h, "counts", None),
                                                    getattr(h, "buckets", None),
                                                    getattr(h, "scale", None), pytest.approx(h.sum),
                                                    h.min, h.max)))
    return out


@pytest.mark.parametrize("cfg", [
    {}, {"aggregation_cardinality_limit": 5}, {"histogram": {"unit": "s"}},
    {"histogram": {"exponential": {"max_size": 10}}}, {"histogram": {"disable": True}},
    {"exclude_dimensions": ["status.code"], "include_instrumentation_scope": ["scope1"]}])
def test_grouped_path_equals_span_by_span(cfg: dict[str, Any]) -> None:
    config = SpanMetricsConfig.model_validate(cfg)
    fast, general = summary(aggregate(config, True)), summary(aggregate(config, False))
    assert len(fast) > 10
    assert fast == general


@pytest.mark.parametrize("cfg", [{"dimensions": [{"name": "n"}]}, {"exemplars": {"enabled": True}},
                                 {"events": {"enabled": True, "dimensions": [{"name": "x"}]}}])
def test_grouped_path_is_off_when_spans_matter_one_by_one(cfg: dict[str, Any]) -> None:
    assert not Aggregator(SpanMetricsConfig.model_validate(cfg)).grouped
