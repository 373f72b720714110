"""debug exporter: what each verbosity writes, sampling, stdout mode, config keys."""

from __future__ import annotations

import logging

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.exporters.debug import DebugConfig, DebugExporter, factory
from otelpy.exporters.debug.debug import Sampler
from otelpy.pdata import Batch
from otelpy.telemetry import Telemetry
from otelpy.testing.samples import logs_request, metrics_request, traces_request
from otelpy.testing.sink import FakeHost

LOGGER = "t.debug"


async def run(caplog: pytest.LogCaptureFixture, batches: list[Batch], **cfg) -> list[str]:
    tel = Telemetry()
    settings = Settings(ComponentID("debug"), Kind.EXPORTER, logging.getLogger(LOGGER), tel)
    ex = factory.create(settings, DebugConfig.model_validate(cfg), frozenset(Signal))
    await ex.start(FakeHost())
    with caplog.at_level(logging.INFO, LOGGER):
        for b in batches:
            await ex.consume(b)
    await ex.shutdown()
    items = sum(b.item_count for b in batches if b.signal is Signal.TRACES)
    assert tel.value("otelcol_exporter_sent_spans_total", {"exporter": "debug"}) == items
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def traces(n: int = 3) -> Batch:
    return Batch.from_bytes(Signal.TRACES, traces_request(n).SerializeToString())


async def test_basic_is_one_line_of_counts(caplog: pytest.LogCaptureFixture) -> None:
    out = await run(caplog, [
        traces(512),
        Batch.from_bytes(Signal.METRICS, metrics_request(9).SerializeToString()),
        Batch.from_bytes(Signal.LOGS, logs_request(4).SerializeToString()),
    ], sampling_initial=10)
    assert out == ["Traces: 1 resource spans, 512 spans",
                   "Metrics: 1 resource metrics, 9 metrics, 9 data points",
                   "Logs: 1 resource logs, 4 log records"]


async def test_normal_is_one_line_per_item(caplog: pytest.LogCaptureFixture) -> None:
    req = traces_request(3)
    out = await run(caplog, [traces(3)], verbosity="normal")
    lines = out[0].splitlines()
    assert lines[0] == "Traces: 1 resource spans, 3 spans"
    assert lines[1].startswith("ResourceSpans #0 service.name=checkout-0")
    assert lines[2] == "ScopeSpans #0 io.opentelemetry.aiohttp@0.46b0"
    spans = lines[3:]
    assert len(spans) == 3
    for line, span in zip(spans, req.resource_spans[0].scope_spans[0].spans, strict=True):
        assert line.startswith(f"{span.name} {span.trace_id.hex()} {span.span_id.hex()} ")
        assert f"http.route={span.attributes[1].value.string_value}" in line


async def test_normal_metrics_lines(caplog: pytest.LogCaptureFixture) -> None:
    batch = Batch.from_bytes(Signal.METRICS, metrics_request(3).SerializeToString())
    out = await run(caplog, [batch], verbosity="normal")
    lines = out[0].splitlines()[3:]
    assert lines[0].startswith("sample.gauge.0{seq=0} ")
    assert lines[1].startswith("sample.sum.1{seq=1} ")
    assert lines[2] == "sample.histogram.2{seq=2} count=10 sum=123.5 le1=1 le5=2 le10=3 le+Inf=4"


async def test_detailed_prints_every_field(caplog: pytest.LogCaptureFixture) -> None:
    req = ExportTraceServiceRequest()
    req.CopyFrom(traces_request(1))
    span = req.resource_spans[0].scope_spans[0].spans[0]
    ev = span.events.add(name="retry", time_unix_nano=1_700_000_000_123_000_000)
    ev.attributes.add(key="attempt").value.int_value = 2
    span.links.add(trace_id=b"\x01" * 16, span_id=b"\x02" * 8)
    span.status.code = 2
    span.status.message = "boom"
    out = await run(caplog, [Batch.from_message(Signal.TRACES, req)], verbosity="detailed")
    text = out[0]
    for expected in [
        f"    Trace ID       : {span.trace_id.hex()}",
        f"    ID             : {span.span_id.hex()}",
        f"    Name           : {span.name}",
        "    Kind           : Server",
        "    Start time     : 2023-11-14 22:13:20 +0000 UTC",
        "    Status code    : Error",
        "    Status message : boom",
        "     -> service.name: Str(checkout-0)",
        "     -> http.response.status_code: Int(",
        "InstrumentationScope io.opentelemetry.aiohttp 0.46b0",
        "SpanEvent #0", "     -> Name: retry",
        "     -> Timestamp: 2023-11-14 22:13:20.123 +0000 UTC",
        "         -> attempt: Int(2)",
        "SpanLink #0", f"     -> Trace ID: {'01' * 16}",
    ]:
        assert expected in text, expected


async def test_detailed_metrics_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    metrics = ExportMetricsServiceRequest()
    metrics.CopyFrom(metrics_request(3))
    summary = metrics.resource_metrics[0].scope_metrics[0].metrics.add(name="lat")
    point = summary.summary.data_points.add(count=4, sum=10.0)
    point.quantile_values.add(quantile=0.5, value=2.0)
    out = await run(caplog, [Batch.from_message(Signal.METRICS, metrics),
                             Batch.from_bytes(Signal.LOGS, logs_request(1).SerializeToString())],
                    verbosity="detailed")
    for expected in ["     -> DataType: Histogram", "     -> IsMonotonic: true",
                     "     -> AggregationTemporality: Cumulative", "ExplicitBounds #2: 10.000000",
                     "Buckets #3, Count: 4", "     -> DataType: Summary",
                     "QuantileValue #0: Quantile 0.500000, Value 2.000000"]:
        assert expected in out[0], expected
    assert "SeverityNumber: Warn(13)" in out[1] or "SeverityNumber: Info(9)" in out[1]
    assert "Body: Str(order " in out[1]


async def test_sampling_limits_logged_batches(caplog: pytest.LogCaptureFixture) -> None:
    out = await run(caplog, [traces(1) for _ in range(10)], sampling_initial=2,
                    sampling_thereafter=4)
    # 10 batches within one second: the first 2, then every 4th of the rest (6th and 10th)
    assert len(out) == 4


def test_sampler_window_resets() -> None:
    now = [100.2]
    s = Sampler(1, 3, clock=lambda: now[0])
    assert [s.allow() for _ in range(5)] == [True, False, False, True, False]
    now[0] = 101.0
    assert s.allow() is True


async def test_stdout_without_internal_logger(capsys: pytest.CaptureFixture[str],
                                              caplog: pytest.LogCaptureFixture) -> None:
    out = await run(caplog, [traces(2) for _ in range(5)], use_internal_logger=False,
                    verbosity="normal")
    assert out == []
    printed = capsys.readouterr().out
    assert printed.count("Traces: 1 resource spans, 2 spans\n") == 5  # never sampled


def test_config_keys_and_defaults() -> None:
    cfg = DebugConfig()
    assert (cfg.verbosity, cfg.sampling_initial, cfg.sampling_thereafter,
            cfg.use_internal_logger) == ("basic", 2, 1, True)
    assert not cfg.sending_queue.enabled and not cfg.retry_on_failure.enabled
    with pytest.raises(ValueError):
        DebugConfig.model_validate({"verbosity": "loud"})
    assert isinstance(factory.create(
        Settings(ComponentID("debug"), Kind.EXPORTER, logging.getLogger(LOGGER), Telemetry()),
        cfg, frozenset({Signal.LOGS})), DebugExporter)
    for name, field in DebugConfig.model_fields.items():
        assert field.description, name
