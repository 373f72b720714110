"""The ``datadog`` exporter: metrics (series API v2 or v1), traces (the trace agent's
``/v0.4/traces`` msgpack) and logs (``/api/v2/logs``) with Datadog's own OTLP mapping, queue
and retries."""

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
    stability={Signal.METRICS.value: Stability.ALPHA, Signal.TRACES.value: Stability.ALPHA,
               Signal.LOGS.value: Stability.ALPHA},
    description="Sends metrics (series API), traces (trace agent msgpack) and logs (logs "
                "intake) to Datadog",
)

__all__ = ["factory", "DatadogConfig", "DatadogExporter"]
