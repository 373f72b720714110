"""The ``anomaly`` connector: scores metric series online (the anomaly processor's engine) and
emits a ``metric.anomaly`` log event for every point at or above a threshold."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.connectors.anomaly.config import AnomalyEventsConfig
from otelpy.consumer import Consumer


def _create(settings: Settings, cfg: AnomalyEventsConfig, source: Signal, target: Signal,
            next_consumer: Consumer) -> Consumer:
    from otelpy.connectors.anomaly.connector import AnomalyEvents

    return AnomalyEvents(settings, cfg, next_consumer)


factory = Factory(
    type="anomaly",
    kind=Kind.CONNECTOR,
    config_type=AnomalyEventsConfig,
    create=_create,
    stability={"metrics->logs": Stability.ALPHA},
    description="Scores metric series and emits metric.anomaly log events above a threshold",
)

__all__ = ["factory", "AnomalyEventsConfig"]
