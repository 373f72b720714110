"""The ``prometheus`` exporter: serves what it receives on /metrics for Prometheus to scrape."""

from __future__ import annotations

from collections.abc import Iterable

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.exporters.prometheus.config import PrometheusConfig
from otelpy.exporters.prometheus.exporter import PrometheusExporter


def _create(settings: Settings, cfg: PrometheusConfig,
            signals: Iterable[Signal]) -> PrometheusExporter:
    return PrometheusExporter(settings, cfg, signals)


factory = Factory(
    type="prometheus",
    kind=Kind.EXPORTER,
    config_type=PrometheusConfig,
    create=_create,
    stability={Signal.METRICS.value: Stability.BETA},
    description="Serves received metrics on /metrics in the Prometheus text or OpenMetrics "
                "format",
)

__all__ = ["factory", "PrometheusConfig", "PrometheusExporter"]
