"""A real Prometheus scrapes otelpy's prometheus exporter; the OpenTelemetry Python SDK sends.

One otelpy process (OTLP in, two prometheus exporters out: text 0.0.4 and OpenMetrics) and
one Prometheus 2.42 scraping both every second with ``honor_labels``. The SDK sends a
counter (with an exemplar inside a sampled span), a gauge, an observable gauge of unit 1,
an explicit-bucket histogram, an exponential histogram (scale 0) and a delta counter flushed
twice. The test then queries Prometheus' HTTP API for the exact values and label sets.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import Counter, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from otelpy.testing.process import free_ports, wait_until

from . import configs
from .conftest import StartOtelpy
from .promserver import PrometheusServer

pytestmark = pytest.mark.integration

RESOURCE = {"service.name": "prom-it", "service.instance.id": "i-1",
            "deployment.environment": "test"}
SCOPE = {"otel_scope_name": "prom-it-meter", "otel_scope_version": "1.2.3"}
HONORED = {"job": "prom-it", "instance": "i-1"}


class Setup:
    def __init__(self, prom: PrometheusServer, otlp_grpc: int, trace_id: str,
                 span_id: str) -> None:
        self.prom, self.otlp_grpc = prom, otlp_grpc
        self.trace_id, self.span_id = trace_id, span_id


def _otelpy_config(grpc: int, text_port: int, om_port: int, metrics_port: int) -> dict[str, Any]:
    return {
        "receivers": {"otlp": configs.otlp_receiver(grpc, None)},
        "exporters": {
            "prometheus/text": {"endpoint": f"127.0.0.1:{text_port}",
                                "const_labels": {"format": "text"}},
            "prometheus/om": {"endpoint": f"127.0.0.1:{om_port}", "enable_open_metrics": True,
                              "const_labels": {"format": "om"}},
        },
        "service": {
            "telemetry": configs.telemetry(metrics_port),
            "pipelines": {"metrics": {"receivers": ["otlp"],
                                      "exporters": ["prometheus/text", "prometheus/om"]}},
        },
    }


def _send(grpc: int) -> tuple[str, str]:
    """Everything the test expects, sent with the SDK over OTLP/gRPC; returns the exemplar's
    (trace id, span id) in hex."""
    endpoint = f"127.0.0.1:{grpc}"
    resource = Resource.create(RESOURCE)
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=endpoint, insecure=True),
                                           export_interval_millis=3_600_000)
    provider = MeterProvider(metric_readers=[reader], resource=resource, views=[
        View(instrument_name="it.size",
             aggregation=ExponentialBucketHistogramAggregation(max_size=160, max_scale=0))])
    meter = provider.get_meter("prom-it-meter", "1.2.3")
    tracer = TracerProvider(resource=resource).get_tracer("prom-it-tracer")
    counter = meter.create_counter("it.requests", unit="{request}", description="requests")
    with tracer.start_as_current_span("request") as span:
        counter.add(5, {"route": "/a"})
        ctx = span.get_span_context()
    counter.add(2, {"route": "/b"})
    meter.create_gauge("it.temperature", unit="Cel").set(21.5, {"room": "lab"})

    def observe(options: CallbackOptions) -> list[Observation]:
        return [Observation(0.25, {"disk": "sda"})]

    meter.create_observable_gauge("it.ratio", unit="1", callbacks=[observe])
    latency = meter.create_histogram("it.latency", unit="ms",
                                     explicit_bucket_boundaries_advisory=[1.0, 5.0, 10.0])
    for value in (0.5, 3.0, 7.0, 12.0):
        latency.record(value, {"route": "/a"})
    size = meter.create_histogram("it.size", unit="By")
    for value in (1.0, 2.0, 4.0):
        size.record(value)
    assert provider.force_flush(30_000)
    provider.shutdown()
    _send_delta(endpoint, resource)
    return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}"


def _send_delta(endpoint: str, resource: Resource) -> None:
    """A delta counter exported twice (3, then 4): Prometheus must see 7."""
    exporter = OTLPMetricExporter(endpoint=endpoint, insecure=True,
                                  preferred_temporality={Counter: AggregationTemporality.DELTA})
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(metric_readers=[reader], resource=resource)
    jobs = provider.get_meter("prom-it-meter", "1.2.3").create_counter("it.jobs")
    jobs.add(3, {"queue": "q1"})
    assert provider.force_flush(30_000)
    jobs.add(4, {"queue": "q1"})
    assert provider.force_flush(30_000)
    provider.shutdown()


@pytest.fixture(scope="module")
def setup(start_module_otelpy: StartOtelpy,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    grpc, text_port, om_port, metrics_port, prom_port = free_ports(5)
    start_module_otelpy(_otelpy_config(grpc, text_port, om_port, metrics_port), name="prom-it")
    prom = PrometheusServer(Path(tmp_path_factory.mktemp("prometheus")), prom_port,
                            {"otelpy_text": f"127.0.0.1:{text_port}",
                             "otelpy_om": f"127.0.0.1:{om_port}"},
                            features=("exemplar-storage",))
    try:
        trace_id, span_id = _send(grpc)
        yield Setup(prom, grpc, trace_id, span_id)
    finally:
        prom.stop()


def _series(setup: Setup, expr: str, count: int) -> list[tuple[dict[str, str], str]]:
    """Poll until the query returns ``count`` series (the first scrapes take seconds)."""
    return list(wait_until(lambda: (r := setup.prom.query(expr)) and len(r) >= count and r,
                           90.0, f"{count} series for {expr}\n{setup.prom.log_tail()}",
                           interval=0.5))


def _labels(name: str, fmt: str, **extra: str) -> dict[str, str]:
    return {"__name__": name, **HONORED, **SCOPE, "format": fmt, **extra}


@pytest.mark.parametrize("fmt", ["text", "om"])
def test_counter_and_gauges(setup: Setup, fmt: str) -> None:
    got = _series(setup, f'it_requests_total{{format="{fmt}"}}', 2)
    assert sorted(got, key=lambda r: r[0]["route"]) == [
        (_labels("it_requests_total", fmt, route="/a"), "5"),
        (_labels("it_requests_total", fmt, route="/b"), "2")]
    assert _series(setup, f'it_temperature_celsius{{format="{fmt}"}}', 1) == [
        (_labels("it_temperature_celsius", fmt, room="lab"), "21.5")]
    assert _series(setup, f'it_ratio{{format="{fmt}"}}', 1) == [
        (_labels("it_ratio", fmt, disk="sda"), "0.25")]


@pytest.mark.parametrize("fmt", ["text", "om"])
def test_histograms(setup: Setup, fmt: str) -> None:
    one = "1" if fmt == "text" else "1.0"  # Prometheus 2.42 keeps le as written
    le = {"text": ["1", "5", "10", "+Inf"], "om": ["1.0", "5.0", "10.0", "+Inf"]}[fmt]
    got = _series(setup, f'it_latency_milliseconds_bucket{{format="{fmt}"}}', 4)
    assert sorted((r[0]["le"], r[1]) for r in got) == sorted(zip(le, ["1", "2", "3", "4"],
                                                                 strict=True))
    assert all(r[0] == _labels("it_latency_milliseconds_bucket", fmt, route="/a",
                               le=r[0]["le"]) for r in got)
    assert _series(setup, f'it_latency_milliseconds_sum{{format="{fmt}"}}', 1)[0][1] == "22.5"
    assert _series(setup, f'it_latency_milliseconds_count{{format="{fmt}"}}', 1)[0][1] == "4"
    # exponential, scale 0: 1 -> bucket (0.5,1], 2 -> (1,2], 4 -> (2,4]
    got = _series(setup, f'it_size_bytes_bucket{{format="{fmt}"}}', 4)
    two, four = ("2", "4") if fmt == "text" else ("2.0", "4.0")
    assert sorted((r[0]["le"], r[1]) for r in got) == sorted(
        [(one, "1"), (two, "2"), (four, "3"), ("+Inf", "3")])
    assert _series(setup, f'it_size_bytes_sum{{format="{fmt}"}}', 1)[0][1] == "7"
    assert _series(setup, f'it_size_bytes_count{{format="{fmt}"}}', 1) == [
        (_labels("it_size_bytes_count", fmt), "3")]


@pytest.mark.parametrize("fmt", ["text", "om"])
def test_delta_counter_accumulated(setup: Setup, fmt: str) -> None:
    assert _series(setup, f'it_jobs_total{{format="{fmt}"}}', 1) == [
        (_labels("it_jobs_total", fmt, queue="q1"), "7")]


def test_target_info(setup: Setup) -> None:
    """One series for the resource (both exporters write the same one: no const labels)."""
    (labels, value), = _series(setup, 'target_info{job="prom-it"}', 1)
    assert value == "1"
    assert labels == {"__name__": "target_info", **HONORED, "deployment_environment": "test",
                      "telemetry_sdk_language": "python", "telemetry_sdk_name": "opentelemetry",
                      "telemetry_sdk_version": labels["telemetry_sdk_version"]}
    assert labels["telemetry_sdk_version"]


def test_exemplar_in_openmetrics(setup: Setup) -> None:
    def exemplars() -> list[dict[str, Any]]:
        data = setup.prom.api("query_exemplars", query='it_requests_total{format="om"}',
                              start="0", end="9999999999")
        return [e for d in data for e in d["exemplars"]]

    found = wait_until(exemplars, 90.0, "an exemplar on it_requests_total", interval=0.5)
    assert found[0]["labels"] == {"trace_id": setup.trace_id, "span_id": setup.span_id}
    assert found[0]["value"] == "5"
    text = setup.prom.api("query_exemplars", query='it_requests_total{format="text"}',
                          start="0", end="9999999999")
    assert text == []  # exemplars only travel in OpenMetrics
