"""The OpenTelemetry Python SDK sends over OTLP to a real otelpy process whose
prometheusremotewrite exporters write into a real Prometheus 2.42
(``--web.enable-remote-write-receiver``, native histograms enabled); the test reads the
exact values and label sets back through Prometheus' HTTP API.

Two exporters write the same data: ``prometheusremotewrite/plain`` (external label
``cluster="c1"``, target_info) and ``prometheusremotewrite/r2t`` (namespace ``r2t``,
``resource_to_telemetry_conversion``, external label ``cluster`` overridden by a point
attribute of the same name, no target_info). A delta counter is dropped and counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import Counter, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource

from otelpy.testing.process import OtelpyProcess, free_ports, wait_until

from . import configs
from .conftest import StartOtelpy
from .promserver import PrometheusServer

pytestmark = pytest.mark.integration

RESOURCE = {"service.name": "rw-it", "service.instance.id": "i-1",
            "deployment.environment": "test"}
BASE = {"job": "rw-it", "instance": "i-1", "otel_scope_name": "rw-it-meter",
        "otel_scope_version": "1.2.3"}


class Setup:
    def __init__(self, prom: PrometheusServer, otelpy: OtelpyProcess) -> None:
        self.prom, self.otelpy = prom, otelpy


def _config(grpc: int, prom_port: int, metrics_port: int) -> dict[str, Any]:
    url = f"http://127.0.0.1:{prom_port}/api/v1/write"
    return {
        "receivers": {"otlp": configs.otlp_receiver(grpc, None)},
        "exporters": {
            "prometheusremotewrite/plain": {"endpoint": url,
                                            "external_labels": {"cluster": "c1"}},
            "prometheusremotewrite/r2t": {
                "endpoint": url, "namespace": "r2t", "external_labels": {"region": "eu"},
                "resource_to_telemetry_conversion": {"enabled": True},
                "target_info": {"enabled": False}},
        },
        "service": {
            "telemetry": configs.telemetry(metrics_port),
            "pipelines": {"metrics": {"receivers": ["otlp"], "exporters": [
                "prometheusremotewrite/plain", "prometheusremotewrite/r2t"]}},
        },
    }


def _send(grpc: int) -> None:
    endpoint = f"127.0.0.1:{grpc}"
    resource = Resource.create(RESOURCE)
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=endpoint, insecure=True),
                                           export_interval_millis=3_600_000)
    provider = MeterProvider(metric_readers=[reader], resource=resource, views=[
        View(instrument_name="it.size",
             aggregation=ExponentialBucketHistogramAggregation(max_size=160, max_scale=0))])
    meter = provider.get_meter("rw-it-meter", "1.2.3")
    counter = meter.create_counter("it.requests", unit="{request}")
    counter.add(5, {"route": "/a"})
    counter.add(2, {"route": "/b", "region": "us"})
    meter.create_gauge("it.temperature", unit="Cel").set(21.5, {"room": "lab"})
    latency = meter.create_histogram("it.latency", unit="ms",
                                     explicit_bucket_boundaries_advisory=[1.0, 5.0, 10.0])
    for value in (0.5, 3.0, 7.0, 12.0):
        latency.record(value, {"route": "/a"})
    size = meter.create_histogram("it.size", unit="By")
    for value in (1.0, 2.0, 4.0):
        size.record(value)
    assert provider.force_flush(30_000)
    provider.shutdown()
    delta = OTLPMetricExporter(endpoint=endpoint, insecure=True,
                               preferred_temporality={Counter: AggregationTemporality.DELTA})
    provider = MeterProvider(metric_readers=[PeriodicExportingMetricReader(
        delta, export_interval_millis=3_600_000)], resource=resource)
    provider.get_meter("rw-it-meter").create_counter("it.jobs").add(3, {"queue": "q1"})
    assert provider.force_flush(30_000)
    provider.shutdown()


@pytest.fixture(scope="module")
def setup(start_module_otelpy: StartOtelpy,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    grpc, metrics_port, prom_port = free_ports(3)
    prom = PrometheusServer(Path(tmp_path_factory.mktemp("prometheus-rw")), prom_port, {},
                            features=("native-histograms",), remote_write_receiver=True)
    try:
        proc = start_module_otelpy(_config(grpc, prom_port, metrics_port), name="rw-it")
        _send(grpc)
        yield Setup(prom, proc)
    finally:
        prom.stop()


def _series(setup: Setup, expr: str, count: int) -> list[tuple[dict[str, str], str]]:
    """Poll until the query returns ``count`` series (the queue sends asynchronously)."""
    def found() -> list[tuple[dict[str, str], str]] | None:
        got = setup.prom.query(expr)
        return got if len(got) >= count else None
    return sorted(wait_until(found, 60.0, f"{count} series for {expr}\n"
                             f"{setup.prom.log_tail()}", interval=0.25),
                  key=lambda r: (r[0].get("route", ""), sorted(r[0].items())))


def test_counter_and_gauge_with_external_labels(setup: Setup) -> None:
    assert _series(setup, "it_requests_total", 2) == [
        ({"__name__": "it_requests_total", **BASE, "cluster": "c1", "route": "/a"}, "5"),
        ({"__name__": "it_requests_total", **BASE, "cluster": "c1", "region": "us",
          "route": "/b"}, "2")]
    assert _series(setup, "it_temperature_celsius", 1) == [
        ({"__name__": "it_temperature_celsius", **BASE, "cluster": "c1", "room": "lab"},
         "21.5")]


def test_histogram_buckets_sum_count(setup: Setup) -> None:
    got = _series(setup, "it_latency_milliseconds_bucket", 4)
    assert sorted((r[0]["le"], r[1]) for r in got) == [
        ("+Inf", "4"), ("1", "1"), ("10", "3"), ("5", "2")]
    assert all(r[0] == {"__name__": "it_latency_milliseconds_bucket", **BASE,
                        "cluster": "c1", "route": "/a", "le": r[0]["le"]} for r in got)
    assert _series(setup, "it_latency_milliseconds_sum", 1)[0][1] == "22.5"
    assert _series(setup, "it_latency_milliseconds_count", 1)[0][1] == "4"


def test_exponential_histogram_is_native(setup: Setup) -> None:
    assert _series(setup, 'histogram_count(it_size_bytes{cluster="c1"})', 1) == [
        ({**BASE, "cluster": "c1"}, "3")]
    assert _series(setup, 'histogram_sum(it_size_bytes{cluster="c1"})', 1)[0][1] == "7"
    # scale 0: 1 in (0.5,1], 2 in (1,2], 4 in (2,4]: two of three at or below 2
    assert _series(setup, 'histogram_fraction(0, 2, it_size_bytes{cluster="c1"})',
                   1)[0][1] == "0.6666666666666666"


def test_target_info(setup: Setup) -> None:
    (labels, value), = _series(setup, "target_info", 1)
    assert value == "1"
    assert labels == {"__name__": "target_info", "job": "rw-it", "instance": "i-1",
                      "cluster": "c1", "deployment_environment": "test",
                      "telemetry_sdk_language": "python", "telemetry_sdk_name": "opentelemetry",
                      "telemetry_sdk_version": labels["telemetry_sdk_version"]}


def test_resource_to_telemetry_namespace_and_external_label_precedence(setup: Setup) -> None:
    got = _series(setup, "r2t_it_requests_total", 2)
    resource = {"deployment_environment": "test", "service_name": "rw-it",
                "service_instance_id": "i-1", "telemetry_sdk_language": "python",
                "telemetry_sdk_name": "opentelemetry"}
    for labels, _ in got:
        assert labels.pop("telemetry_sdk_version")
    assert got == [
        ({"__name__": "r2t_it_requests_total", **BASE, **resource, "region": "eu",
          "route": "/a"}, "5"),
        ({"__name__": "r2t_it_requests_total", **BASE, **resource, "region": "us",
          "route": "/b"}, "2")]  # the point's region wins over the external label
    assert setup.prom.query("r2t_target_info") == []


def test_delta_counter_dropped_and_counted(setup: Setup) -> None:
    _series(setup, "it_requests_total", 2)  # the batches were sent
    for exporter in ("prometheusremotewrite/plain", "prometheusremotewrite/r2t"):
        wait_until(lambda e=exporter: setup.otelpy.metric(
            "otelcol_exporter_prometheusremotewrite_dropped_points_total",
            {"exporter": e, "reason": "delta_temporality"}) == 1, 30.0,
            f"the delta point counted as dropped by {exporter}")
    assert setup.prom.query('{__name__=~"it_jobs.*"}') == []
    assert setup.prom.query('{__name__=~"r2t_it_jobs.*"}') == []
