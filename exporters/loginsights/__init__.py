"""The ``loginsights`` exporter: log insights (the spec's analyze_logs) on the status API."""

from __future__ import annotations

from collections.abc import Iterable

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.exporters.loginsights.config import LogInsightsConfig


def _create(settings: Settings, cfg: LogInsightsConfig, signals: Iterable[Signal]) -> object:
    from otelpy.exporters.loginsights.exporter import LogInsightsExporter

    return LogInsightsExporter(settings, cfg)


factory = Factory(
    type="loginsights",
    kind=Kind.EXPORTER,
    config_type=LogInsightsConfig,
    create=_create,
    stability={"logs": Stability.ALPHA, "metrics": Stability.ALPHA},
    description="Keeps a bounded window of log counts, error patterns, anomaly events and "
                "chosen metrics for /api/logs/insights on the status extension",
)

__all__ = ["factory", "LogInsightsConfig"]
