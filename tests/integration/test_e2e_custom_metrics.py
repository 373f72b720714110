"""The spec's custom metrics end to end: docs/examples/custom_metrics.py (OpenTelemetry SDK)
-> otelpy running config-examples/custom-metrics.yaml unchanged -> a real Prometheus
scraping it; every value and label read back through Prometheus's HTTP API."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from otelpy.testing.process import OtelpyProcess, free_ports, wait_until

from .promserver import PrometheusServer

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "custom_metrics_example", ROOT / "docs/examples/custom_metrics.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    grpc, exporter, own, prom_port = free_ports(4)
    work = tmp_path_factory.mktemp("custom-metrics")
    env = {**os.environ, "OTLP_GRPC_ENDPOINT": f"127.0.0.1:{grpc}",
           "PROMETHEUS_ENDPOINT": f"127.0.0.1:{exporter}",
           "OTELPY_METRICS_ADDRESS": f"127.0.0.1:{own}"}
    proc = OtelpyProcess(work / "otelpy", None, args=[
        "--config", str(ROOT / "config-examples/custom-metrics.yaml")],
        extra_ports=[grpc, exporter], env=env, metrics_address=f"127.0.0.1:{own}").start()
    server = PrometheusServer(work / "prometheus", prom_port,
                              {"otelpy": f"127.0.0.1:{exporter}"})
    try:
        example = _example()
        provider = example.meter_provider(f"127.0.0.1:{grpc}", interval_ms=3_600_000)
        example.record(provider)
        provider.shutdown()
        yield server
    finally:
        server.stop()
        proc.stop()


def _query(prom: PrometheusServer, expr: str, count: int) -> list[tuple[dict[str, str], str]]:
    return list(wait_until(lambda: (r := prom.query(expr)) and len(r) >= count and r, 90.0,
                           f"{count} series for {expr}\n{prom.log_tail()}", interval=0.5))


COMMON = {"job": "spotify-ai", "service_name": "spotify-ai",
          "deployment_environment": "production", "otel_scope_name": "spotify-ai.metrics",
          "otel_scope_version": "1.0.0"}


def test_histogram_with_the_spec_buckets(prom: PrometheusServer) -> None:
    got = _query(prom, "audio_processing_latency_milliseconds_bucket", 7)
    labels = {"model_type": "neural_classifier", "audio_format": "mp3_320kbps"}
    assert all({k: r[0][k] for k in labels} == labels for r in got)
    # values 145.7, 8, 620, 45 -> cumulative counts per bucket
    assert sorted(((r[0]["le"], r[1]) for r in got), key=lambda x: float(x[0])) == [
        ("10", "1"), ("50", "2"), ("100", "2"), ("500", "3"), ("1000", "4"), ("5000", "4"),
        ("+Inf", "4")]
    [(_, total)] = _query(prom, "audio_processing_latency_milliseconds_sum", 1)
    assert float(total) == pytest.approx(145.7 + 8 + 620 + 45)
    [(labels_count, count)] = _query(prom, "audio_processing_latency_milliseconds_count", 1)
    assert count == "4"
    assert {k: labels_count[k] for k in COMMON} == COMMON


def test_gauge_and_counter_with_their_labels(prom: PrometheusServer) -> None:
    [(labels, value)] = _query(prom, "recommendation_accuracy_ratio", 1)
    assert value == "0.87"
    assert labels["user_segment"] == "premium" and labels["algorithm_version"] == "v3"
    [(labels, value)] = _query(prom, "user_engagement_score_total", 1)
    assert float(value) == pytest.approx(15.2)
    assert {k: labels[k] for k in ("playlist_type", "device_type")} == {
        "playlist_type": "discover_weekly", "device_type": "mobile"}
    assert {k: labels[k] for k in COMMON} == COMMON
