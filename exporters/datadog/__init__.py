"""The ``datadog`` exporter (metrics): Datadog's series API v2 (or v1) with Datadog's own
OTLP mapping, queue and retries."""

from __future__ import annotations

from collections.abc import Iterable

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.exporters.datadog.config import DatadogConfig
from otelpy.exporters.datadog.exporter import DatadogExporter


def _create(settings: Settings, cfg: DatadogConfig,
            signals: Iterable[Signal]) -> DatadogExporter:
    return DatadogExporter(settings, cfg, signals)


factory = Factory(
    type="datadog",
    kind=Kind.EXPORTER,
    config_type=DatadogConfig,
    create=_create,
    stability={Signal.METRICS.value: Stability.ALPHA},
    description="Sends metrics to Datadog's series API (v2, or v1)",
)

__all__ = ["factory", "DatadogConfig", "DatadogExporter"]
