"""otlphttp exporter against a real aiohttp sink: bodies, compression, status mapping, retries."""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import logging
import socket
import time

import pytest
import zstandard
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.errors import PermanentError, RetryableError
from otelpy.exporters.otlphttp import OTLPHTTPConfig, OTLPHTTPExporter, factory
from otelpy.httpclient import parse_retry_after
from otelpy.pdata import Batch
from otelpy.telemetry import Telemetry
from otelpy.testing.samples import logs_request, metrics_request, traces_request
from otelpy.testing.servers import HttpSink
from otelpy.testing.sink import FakeHost

LABELS = {"exporter": "otlphttp/sink"}


@pytest.fixture
async def sink():
    s = HttpSink()
    await s.start()
    yield s
    await s.stop()


def settings(tel: Telemetry) -> Settings:
    return Settings(ComponentID("otlphttp", "sink"), Kind.EXPORTER,
                    logging.getLogger("t.otlphttp"), tel)


async def exporter(tel: Telemetry, endpoint: str, signals=frozenset(Signal),
                   **overrides) -> OTLPHTTPExporter:
    cfg = OTLPHTTPConfig.model_validate({"endpoint": endpoint,
                                         "sending_queue": {"enabled": False}, **overrides})
    assert cfg.validate_config() == []
    ex = factory.create(settings(tel), cfg, signals)
    await ex.start(FakeHost())
    return ex


def spans(n: int, seed: int = 0) -> Batch:
    return Batch.from_bytes(Signal.TRACES, traces_request(n, seed=seed).SerializeToString())


async def test_gzip_body_decompresses_to_the_batch_bytes(sink: HttpSink) -> None:
    tel = Telemetry()
    ex = await exporter(tel, sink.endpoint, headers={"X-Tenant": "acme"})
    batch = spans(512)
    await ex.consume_traces(batch)
    await ex.consume_metrics(Batch.from_bytes(Signal.METRICS,
                                              metrics_request(9).SerializeToString()))
    await ex.consume_logs(Batch.from_bytes(Signal.LOGS, logs_request(7).SerializeToString()))
    await ex.shutdown()
    first = sink.received[0]
    assert first.path == "/v1/traces"
    assert first.headers["Content-Encoding"] == "gzip"
    assert first.headers["Content-Type"] == "application/x-protobuf"
    assert first.headers["X-Tenant"] == "acme"
    assert first.headers["User-Agent"].startswith("otelpy/")
    assert gzip.decompress(first.body) == batch.data
    assert len(first.body) < len(batch.data) / 3
    assert ExportTraceServiceRequest.FromString(first.data) == traces_request(512)
    assert [r.path for r in sink.received] == ["/v1/traces", "/v1/metrics", "/v1/logs"]
    assert sink.items == {Signal.TRACES: 512, Signal.METRICS: 9, Signal.LOGS: 7}
    assert tel.value("otelcol_exporter_sent_spans_total", LABELS) == 512


@pytest.mark.parametrize("compression", ["none", "zstd"])
async def test_other_compressions(sink: HttpSink, compression: str) -> None:
    ex = await exporter(Telemetry(), sink.endpoint, compression=compression)
    batch = spans(64)
    await ex.consume_traces(batch)
    await ex.shutdown()
    got = sink.received[0]
    if compression == "none":
        assert "Content-Encoding" not in got.headers and got.body == batch.data
    else:
        assert got.headers["Content-Encoding"] == "zstd"
        assert zstandard.ZstdDecompressor().decompressobj().decompress(got.body) == batch.data


async def test_json_encoding(sink: HttpSink) -> None:
    ex = await exporter(Telemetry(), sink.endpoint, encoding="json", compression="none")
    batch = spans(10)
    await ex.consume_traces(batch)
    await ex.shutdown()
    got = sink.received[0]
    assert got.headers["Content-Type"] == "application/json"
    assert got.body.startswith(b'{"resourceSpans"')
    assert ExportTraceServiceRequest.FromString(got.data) == batch.message


@pytest.mark.parametrize("status", [429, 503])
async def test_throttle_status_honours_retry_after(sink: HttpSink, status: int) -> None:
    tel = Telemetry()
    ex = await exporter(tel, sink.endpoint, retry_on_failure={"initial_interval": "10s"})
    sink.fail_next(1, status, "slow down", retry_after=0.2)
    start = time.monotonic()
    await asyncio.wait_for(ex.consume_traces(spans(6)), 8)
    took = time.monotonic() - start
    await ex.shutdown()
    assert 0.2 <= took < 8.0  # the hint, not initial_interval (10 s)
    assert (sink.requests, sink.total()) == (2, 6)
    assert tel.value("otelcol_exporter_sent_spans_total", LABELS) == 6


@pytest.mark.parametrize("status", [502, 504])
async def test_gateway_errors_are_retryable(sink: HttpSink, status: int) -> None:
    ex = await exporter(Telemetry(), sink.endpoint, retry_on_failure={
        "initial_interval": "20ms", "randomization_factor": 0})
    sink.fail_next(2, status, retry_after=30)  # Retry-After is ignored on 502/504
    start = time.monotonic()
    await asyncio.wait_for(ex.consume_traces(spans(2)), 10)
    assert time.monotonic() - start < 10.0  # Retry-After (30 s) ignored
    assert sink.requests == 3 and sink.total() == 2
    await ex.shutdown()


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 500])
async def test_other_statuses_are_permanent(sink: HttpSink, status: int) -> None:
    tel = Telemetry()
    ex = await exporter(tel, sink.endpoint, retry_on_failure={"initial_interval": "1ms"})
    sink.fail_next(2, status, "refused for a reason")
    with pytest.raises(PermanentError, match=f"HTTP {status}: refused for a reason"):
        await ex.consume_traces(spans(3))
    await ex.shutdown()
    assert sink.requests == 1
    assert tel.value("otelcol_exporter_send_failed_spans_total", LABELS) == 3


async def test_connection_refused_is_retryable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tel = Telemetry()
    ex = await exporter(tel, f"http://127.0.0.1:{port}", retry_on_failure={"enabled": False})
    with pytest.raises(RetryableError, match="ClientConnectorError"):
        await ex.consume_traces(spans(1))
    await ex.shutdown()
    assert tel.value("otelcol_exporter_send_failed_spans_total", LABELS) == 1


async def test_signal_endpoint_override(sink: HttpSink) -> None:
    ex = await exporter(Telemetry(), "http://127.0.0.1:9/unused", signals={Signal.TRACES},
                        traces_endpoint=f"{sink.endpoint}/v1/traces")
    assert str(ex.urls[Signal.TRACES]) == f"{sink.endpoint}/v1/traces"
    await ex.consume_traces(spans(3))
    await ex.shutdown()
    assert sink.total(Signal.TRACES) == 3


@pytest.mark.parametrize("encoding", ["proto", "json"])
async def test_partial_success_is_logged(sink: HttpSink, encoding: str,
                                         caplog: pytest.LogCaptureFixture) -> None:
    ex = await exporter(Telemetry(), sink.endpoint, encoding=encoding)
    sink.partial_next(1, rejected=3, message="3 spans too old")
    with caplog.at_level(logging.WARNING, "t.otlphttp"):
        await ex.consume_traces(spans(5))
    await ex.shutdown()
    assert any("rejected 3 spans: 3 spans too old" in r.getMessage() for r in caplog.records)


async def test_queue_with_concurrent_consumers(sink: HttpSink) -> None:
    tel = Telemetry()
    ex = await exporter(tel, sink.endpoint, sending_queue={"num_consumers": 4})
    for i in range(40):
        await ex.consume_traces(spans(32, seed=i))
    await sink.wait_for_items(40 * 32)
    await ex.shutdown()
    assert sorted(r.data for r in sink.received) == sorted(spans(32, seed=i).data
                                                           for i in range(40))
    assert tel.value("otelcol_exporter_sent_spans_total", LABELS) == 1280
    assert tel.value("otelcol_exporter_queue_capacity", LABELS) == 1000


def test_signal_urls_and_validation() -> None:
    cfg = OTLPHTTPConfig(endpoint="http://c:4318/")
    assert cfg.signal_url(Signal.LOGS) == "http://c:4318/v1/logs"
    assert OTLPHTTPConfig(endpoint="http://c:4318/otlp").signal_url(Signal.METRICS) == \
        "http://c:4318/otlp/v1/metrics"
    only = OTLPHTTPConfig(traces_endpoint="http://t/x")
    assert only.validate_config() == []
    with pytest.raises(ValueError, match="either endpoint or logs_endpoint"):
        only.signal_url(Signal.LOGS)
    assert OTLPHTTPConfig().validate_config() == [
        "endpoint: at least one of endpoint, traces_endpoint, metrics_endpoint, logs_endpoint "
        "must be specified"]
    assert OTLPHTTPConfig(endpoint="c:4318").validate_config() == [
        "endpoint: must start with http:// or https://"]
    d = OTLPHTTPConfig()
    assert (d.timeout, d.compression, d.encoding, d.max_idle_conns) == (30.0, "gzip", "proto",
                                                                         100)
    for name, field in OTLPHTTPConfig.model_fields.items():
        assert field.description, name


def test_parse_retry_after() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= parse_retry_after(later) <= 31
