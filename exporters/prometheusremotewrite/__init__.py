"""The ``prometheusremotewrite`` exporter: Prometheus remote write 1.0 with queue and retries."""

from __future__ import annotations

from collections.abc import Iterable

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.exporters.prometheusremotewrite.config import PRWConfig
from otelpy.exporters.prometheusremotewrite.exporter import PRWExporter


def _create(settings: Settings, cfg: PRWConfig, signals: Iterable[Signal]) -> PRWExporter:
    return PRWExporter(settings, cfg, signals)


factory = Factory(
    type="prometheusremotewrite",
    kind=Kind.EXPORTER,
    config_type=PRWConfig,
    create=_create,
    stability={Signal.METRICS.value: Stability.BETA},
    description="Sends metrics with Prometheus remote write 1.0 (snappy protobuf), with a "
                "sending queue (in memory or on disk) and retries",
)

__all__ = ["factory", "PRWConfig", "PRWExporter"]
