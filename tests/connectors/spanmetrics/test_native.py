"""spanmetrics: spans grouped in C from the request's bytes (``aggregate_bytes``, the path
``consume_traces`` takes in grouped mode) give the same state and the same flushed metrics
as the general path over the decoded request, on fixed and generated requests."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.connectors.spanmetrics import factory
from otelpy.connectors.spanmetrics.config import SpanMetricsConfig
from otelpy.errors import PermanentError
from otelpy.pdata import Batch
from otelpy.pdata.values import Attributes
from otelpy.telemetry import Telemetry
from otelpy.testing.clock import FakeClock
from otelpy.testing.sink import SinkConsumer
from tests.connectors.spanmetrics.test_grouped import request, summary
from tests.fuzz.conftest import budget

CONFIGS = [{}, {"aggregation_cardinality_limit": 5}, {"histogram": {"unit": "s"}},
           {"histogram": {"explicit": {"buckets": ["1ms", "2ms", "1s"]}}},
           {"histogram": {"exponential": {"max_size": 10}}}, {"histogram": {"disable": True}},
           {"exclude_dimensions": ["status.code"], "include_instrumentation_scope": ["scope1"]},
           {"resource_metrics_cache_size": 2}]


def connector(cfg: dict[str, Any]) -> Any:
    settings = Settings(ComponentID("spanmetrics"), Kind.CONNECTOR, logging.getLogger("t"),
                        Telemetry(), FakeClock())
    return factory.create(settings, SpanMetricsConfig.model_validate(cfg), Signal.TRACES,
                          Signal.METRICS, SinkConsumer())


def both(cfg: dict[str, Any], req: ExportTraceServiceRequest) -> tuple[Any, Any]:
    native, general = connector(cfg), connector(cfg)
    assert native.state.grouped
    data = req.SerializeToString()
    native.aggregate_bytes(data)
    native.aggregate_bytes(data)  # twice: series found again, not made again
    general.aggregate(req)
    general.aggregate(req)
    return native, general


def flushed(conn: Any) -> Any:
    batch = conn.build(123)
    return None if batch is None else batch.message


@pytest.mark.parametrize("cfg", CONFIGS)
def test_native_grouping_equals_the_general_path(cfg: dict[str, Any]) -> None:
    native, general = both(cfg, request())
    assert len(summary(native.state)) > 10
    assert summary(native.state) == summary(general.state)
    assert flushed(native) == flushed(general)


_names = st.sampled_from(["GET /", "POST /x", "", "é/ü", "\U0001f600 op"])
_spans = st.lists(st.tuples(_names, st.integers(-2, 7), st.integers(-1, 4),
                            st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1)),
                  max_size=40)
_resources = st.lists(st.tuples(st.sampled_from(["a", "b", None]),
                                st.lists(_spans, max_size=3)), max_size=4)


def generated(resources: list[tuple[str | None, list[list[Any]]]]) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    for service, scopes in resources:
        rs = req.resource_spans.add()
        if service is not None:
            Attributes(rs.resource.attributes)["service.name"] = service
        for i, spans in enumerate(scopes):
            ss = rs.scope_spans.add()
            ss.scope.name = f"scope{i}"
            for name, kind, code, start, end in spans:
                span = ss.spans.add(name=name, kind=kind, start_time_unix_nano=start,
                                    end_time_unix_nano=end)
                span.status.code = code
    return req


@budget(150)
@given(resources=_resources, cfg=st.sampled_from(CONFIGS))
def test_generated_requests_agree(resources: list[Any], cfg: dict[str, Any]) -> None:
    native, general = both(cfg, generated(resources))
    assert summary(native.state) == summary(general.state)
    assert flushed(native) == flushed(general)


async def test_malformed_bytes_count_nothing_and_the_general_path_reports_them() -> None:
    conn = connector({})
    data = request().SerializeToString()
    with pytest.raises(ValueError, match="malformed ExportTraceServiceRequest"):
        conn.aggregate_bytes(data[:-3])
    assert not conn.state.resources
    bad = Batch(Signal.TRACES, data[:-3], None, 1)
    with pytest.raises(PermanentError, match="Wire format was corrupt"):  # as before: decoding
        await conn.consume_traces(bad)
    assert not conn.state.resources


def test_a_span_name_that_is_not_utf8_is_refused_before_counting() -> None:
    req = generated([("a", [[("ok", 2, 0, 1, 5)]])])
    data = req.SerializeToString().replace(b"ok", b"o\xff")
    conn = connector({})
    with pytest.raises(ValueError, match="not UTF-8"):
        conn.aggregate_bytes(data)
    assert not conn.state.resources
