"""The ``spananalytics`` exporter: span analytics and the service graph on the status API."""

from __future__ import annotations

from collections.abc import Iterable

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.exporters.spananalytics.config import SpanAnalyticsConfig


def _create(settings: Settings, cfg: SpanAnalyticsConfig, signals: Iterable[Signal]) -> object:
    from otelpy.exporters.spananalytics.exporter import SpanAnalyticsExporter

    return SpanAnalyticsExporter(settings, cfg)


factory = Factory(
    type="spananalytics",
    kind=Kind.EXPORTER,
    config_type=SpanAnalyticsConfig,
    create=_create,
    stability={"traces": Stability.ALPHA},
    description="Keeps a bounded window of span statistics for /api/spans/analytics and "
                "/api/dependencies on the status extension",
)

__all__ = ["factory"]
