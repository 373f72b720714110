"""otlp exporter against a real grpc.aio sink: bytes pass through, statuses map as the
Collector's."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import grpc
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.errors import PermanentError, RetryableError
from otelpy.exporters.otlp import OTLPConfig, OTLPExporter, factory
from otelpy.exporters.otlp.otlp import RETRYABLE_CODES, map_rpc_error
from otelpy.pdata import Batch
from otelpy.pdata.rpcstatus import STATUS_DETAILS_KEY, encode_status
from otelpy.telemetry import Telemetry
from otelpy.testing.samples import logs_request, metrics_request, traces_request
from otelpy.testing.servers import GrpcSink
from otelpy.testing.sink import FakeHost

LABELS = {"exporter": "otlp/sink"}


@pytest.fixture
async def sink():
    s = GrpcSink()
    await s.start()
    yield s
    await s.stop()


def settings(tel: Telemetry) -> Settings:
    return Settings(ComponentID("otlp", "sink"), Kind.EXPORTER, logging.getLogger("t.otlp"), tel)


async def exporter(tel: Telemetry, endpoint: str, **overrides) -> OTLPExporter:
    raw = {"endpoint": endpoint, "tls": {"insecure": True},
           "sending_queue": {"enabled": False}, **overrides}
    cfg = OTLPConfig.model_validate(raw)
    assert cfg.validate_config() == []
    ex = factory.create(settings(tel), cfg, frozenset(Signal))
    await ex.start(FakeHost())
    return ex


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_bytes_pass_through_for_every_signal(sink: GrpcSink) -> None:
    tel = Telemetry()
    ex = await exporter(tel, sink.endpoint, headers={"X-Tenant": "acme"})
    cases = [
        (Signal.TRACES, traces_request(512), ExportTraceServiceRequest),
        (Signal.METRICS, metrics_request(30), ExportMetricsServiceRequest),
        (Signal.LOGS, logs_request(40), ExportLogsServiceRequest),
    ]
    for signal, msg, _ in cases:
        await ex.consume(Batch.from_bytes(signal, msg.SerializeToString()))
    await ex.shutdown()
    assert [r.signal for r in sink.received] == [Signal.TRACES, Signal.METRICS, Signal.LOGS]
    for got, (_, msg, cls) in zip(sink.received, cases, strict=True):
        assert got.data == msg.SerializeToString()
        assert cls.FromString(got.data) == msg
        assert got.headers["x-tenant"] == "acme"
        assert got.headers["user-agent"].startswith("otelpy/")
    assert sink.items == {Signal.TRACES: 512, Signal.METRICS: 30, Signal.LOGS: 40}
    assert tel.value("otelcol_exporter_sent_spans_total", LABELS) == 512
    assert tel.value("otelcol_exporter_sent_metric_points_total", LABELS) == 30
    assert tel.value("otelcol_exporter_sent_log_records_total", LABELS) == 40


async def test_http_prefix_means_plaintext_and_queue_delivers(sink: GrpcSink) -> None:
    tel = Telemetry()
    cfg = OTLPConfig.model_validate({"endpoint": f"http://{sink.endpoint}"})
    assert cfg.plaintext() and cfg.target() == sink.endpoint
    ex = OTLPExporter(settings(tel), cfg, [Signal.TRACES])
    await ex.start(FakeHost())
    for i in range(30):
        await ex.consume_traces(Batch.from_bytes(
            Signal.TRACES, traces_request(16, seed=i).SerializeToString()))
    await sink.wait_for_items(480)
    await ex.shutdown()
    assert len(sink.received) == 30
    assert tel.value("otelcol_exporter_sent_spans_total", LABELS) == 480


async def test_unavailable_with_retry_info_waits_the_hinted_delay(sink: GrpcSink) -> None:
    tel = Telemetry()
    ex = await exporter(tel, sink.endpoint, retry_on_failure={"initial_interval": "10s"})
    sink.fail_next(1, grpc.StatusCode.UNAVAILABLE, "overloaded", retry_after=0.2)
    start = time.monotonic()
    await asyncio.wait_for(ex.consume_traces(
        Batch.from_bytes(Signal.TRACES, traces_request(8).SerializeToString())), 8)
    took = time.monotonic() - start
    await ex.shutdown()
    assert 0.2 <= took < 8.0  # the hint, not initial_interval (10 s)
    assert (sink.requests, len(sink.received)) == (2, 1)
    assert tel.value("otelcol_exporter_sent_spans_total", LABELS) == 8


@pytest.mark.parametrize(("hint", "retried"), [(0.05, True), (None, False)],
                         ids=["with-retry-info", "without-retry-info"])
async def test_resource_exhausted_retried_only_with_retry_info(
        sink: GrpcSink, hint: float | None, retried: bool) -> None:
    tel = Telemetry()
    ex = await exporter(tel, sink.endpoint, retry_on_failure={"initial_interval": "10ms"})
    sink.fail_next(1, grpc.StatusCode.RESOURCE_EXHAUSTED, "quota", retry_after=hint)
    batch = Batch.from_bytes(Signal.TRACES, traces_request(4).SerializeToString())
    if retried:
        await ex.consume_traces(batch)
        assert sink.requests == 2 and sink.total() == 4
    else:
        with pytest.raises(PermanentError, match="RESOURCE_EXHAUSTED: quota"):
            await ex.consume_traces(batch)
        assert sink.requests == 1 and sink.total() == 0
        assert tel.value("otelcol_exporter_send_failed_spans_total", LABELS) == 4
    await ex.shutdown()


async def test_invalid_argument_is_permanent(sink: GrpcSink) -> None:
    ex = await exporter(Telemetry(), sink.endpoint, retry_on_failure={"initial_interval": "1ms"})
    sink.fail_next(3, grpc.StatusCode.INVALID_ARGUMENT, "bad data")
    with pytest.raises(PermanentError, match="INVALID_ARGUMENT: bad data"):
        await ex.consume_logs(Batch.from_bytes(Signal.LOGS, logs_request(2).SerializeToString()))
    assert sink.requests == 1
    await ex.shutdown()


async def test_deadline_exceeded_is_retryable(sink: GrpcSink) -> None:
    sink.delay = 0.5
    ex = await exporter(Telemetry(), sink.endpoint, timeout="100ms",
                        retry_on_failure={"enabled": False})
    with pytest.raises(RetryableError):
        await ex.consume_traces(Batch.from_bytes(Signal.TRACES,
                                                 traces_request(1).SerializeToString()))
    await ex.shutdown()


async def test_unreachable_endpoint_is_retryable() -> None:
    tel = Telemetry()
    ex = await exporter(tel, f"127.0.0.1:{free_port()}", retry_on_failure={"enabled": False})
    with pytest.raises(RetryableError, match="UNAVAILABLE"):
        await ex.consume_traces(Batch.from_bytes(Signal.TRACES,
                                                 traces_request(3).SerializeToString()))
    assert tel.value("otelcol_exporter_send_failed_spans_total", LABELS) == 3
    await ex.shutdown()


async def test_partial_success_is_logged(sink: GrpcSink,
                                         caplog: pytest.LogCaptureFixture) -> None:
    ex = await exporter(Telemetry(), sink.endpoint)
    sink.partial_next(1, rejected=2, message="2 spans too old")
    with caplog.at_level(logging.WARNING, "t.otlp"):
        await ex.consume_traces(Batch.from_bytes(Signal.TRACES,
                                                 traces_request(5).SerializeToString()))
    await ex.shutdown()
    assert sink.total() == 5
    assert any("rejected 2 spans: 2 spans too old" in r.getMessage() for r in caplog.records)


def _rpc_error(code: grpc.StatusCode, retry_after: float | None) -> grpc.aio.AioRpcError:
    trailers = grpc.aio.Metadata()
    if retry_after is not None:
        trailers.add(STATUS_DETAILS_KEY, encode_status(code.value[0], "x", retry_after))
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), trailers, details="x")


@pytest.mark.parametrize("code", [c for c in grpc.StatusCode if c is not grpc.StatusCode.OK],
                         ids=lambda c: c.name)
def test_status_code_mapping_matches_collector(code: grpc.StatusCode) -> None:
    plain = map_rpc_error(_rpc_error(code, None), "t")
    hinted = map_rpc_error(_rpc_error(code, 1.5), "t")
    if code in RETRYABLE_CODES:
        assert isinstance(plain, RetryableError) and plain.retry_after is None
        assert isinstance(hinted, RetryableError) and hinted.retry_after == 1.5
        # UNAVAILABLE etc. may come from the client side or after the data arrived
        assert plain.may_have_arrived and hinted.may_have_arrived
    elif code is grpc.StatusCode.RESOURCE_EXHAUSTED:
        assert isinstance(plain, PermanentError)
        assert isinstance(hinted, RetryableError) and hinted.retry_after == 1.5
        assert hinted.may_have_arrived is False  # the server answered it took nothing
    else:
        assert isinstance(plain, PermanentError) and isinstance(hinted, PermanentError)
    assert {c.name for c in RETRYABLE_CODES} == {
        "CANCELLED", "DEADLINE_EXCEEDED", "ABORTED", "OUT_OF_RANGE", "UNAVAILABLE", "DATA_LOSS"}


def test_config_defaults_and_rules() -> None:
    cfg = OTLPConfig()
    assert (cfg.timeout, cfg.compression, cfg.balancer_name, cfg.tls.insecure) == (
        5.0, "gzip", "round_robin", False)
    assert cfg.validate_config() == ["endpoint: must be set (host:port)"]
    tls = OTLPConfig.model_validate({"endpoint": "collector:4317"})
    assert not tls.plaintext() and tls.target() == "collector:4317"
    bad = OTLPConfig.model_validate({"endpoint": "https://c:4317", "tls": {"insecure": True}})
    assert bad.validate_config() == ["tls.insecure: true contradicts an https:// endpoint"]
    ka = OTLPConfig.model_validate({"endpoint": "c:1", "keepalive": {"time": "10s"},
                                    "headers": {"Authorization": "Bearer x"}})
    assert ("grpc.keepalive_time_ms", 10000) in ka.channel_options()
    assert ka.metadata() == (("authorization", "Bearer x"),)
    for name, field in OTLPConfig.model_fields.items():
        assert field.description, name


def test_create_refuses_an_invalid_config() -> None:
    with pytest.raises(ValueError, match="endpoint: must be set"):
        factory.create(settings(Telemetry()), OTLPConfig(), frozenset({Signal.TRACES}))
