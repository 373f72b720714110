"""The product spec's custom metrics, recorded with the OpenTelemetry Python SDK.

Run otelpy with config-examples/custom-metrics.yaml, then ``python custom_metrics.py``:
the three metrics go over OTLP/gRPC to otelpy, which serves them to Prometheus on
http://localhost:8889/metrics as

* ``audio_processing_latency_milliseconds_bucket{le="10"|"50"|...|"5000"|"+Inf"}`` (histogram
  with the spec's buckets, labels model_type and audio_format), ``_sum``, ``_count``;
* ``recommendation_accuracy_ratio{user_segment, algorithm_version}`` (gauge);
* ``user_engagement_score_total{playlist_type, device_type}`` (counter).

Buckets are chosen with a View (the SDK's default buckets are for seconds-scale values).
"""

from __future__ import annotations

import os

from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource

AUDIO_BUCKETS = (10.0, 50.0, 100.0, 500.0, 1000.0, 5000.0)  # ms, from the spec


def meter_provider(endpoint: str, interval_ms: int = 15_000) -> MeterProvider:
    """A MeterProvider exporting to otelpy at ``endpoint`` (host:port, OTLP/gRPC)."""
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=endpoint, insecure=True), export_interval_millis=interval_ms)
    return MeterProvider(
        metric_readers=[reader],
        resource=Resource.create({"service.name": "spotify-ai",
                                  "deployment.environment": "production"}),
        views=[View(instrument_name="audio_processing_latency",
                    aggregation=ExplicitBucketHistogramAggregation(AUDIO_BUCKETS))])


def record(provider: MeterProvider) -> None:
    """What the spec's record_metric and record_business_metric calls record."""
    meter = provider.get_meter("spotify-ai.metrics", "1.0.0")
    latency = meter.create_histogram("audio_processing_latency", unit="ms",
                                     description="Audio processing latency")
    accuracy = meter.create_gauge("recommendation_accuracy", unit="1",
                                  description="Share of accepted recommendations")
    engagement = meter.create_counter("user_engagement_score",
                                      description="Engagement score, summed")
    for value in (145.7, 8.0, 620.0, 45.0):
        latency.record(value, {"model_type": "neural_classifier", "audio_format": "mp3_320kbps"})
    accuracy.set(0.87, {"user_segment": "premium", "algorithm_version": "v3"})
    engagement.add(8.7, {"playlist_type": "discover_weekly", "device_type": "mobile"})
    engagement.add(6.5, {"playlist_type": "discover_weekly", "device_type": "mobile"})


if __name__ == "__main__":
    provider = meter_provider(os.environ.get("OTLP_ENDPOINT", "localhost:4317"))
    record(provider)
    provider.shutdown()  # exports what was recorded
