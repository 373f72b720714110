"""The ``anomaly`` processor: scores selected metric series online and emits the scores as
``<name>.anomaly_score`` gauges next to the originals (engine: otelpy.anomaly)."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.processors.anomaly.config import AnomalyConfig
from otelpy.processors.anomaly.processor import AnomalyProcessor


def _create(settings: Settings, cfg: AnomalyConfig, signal: Signal,
            next_consumer: Consumer) -> AnomalyProcessor:
    return AnomalyProcessor(settings, cfg, next_consumer)


factory = Factory(
    type="anomaly",
    kind=Kind.PROCESSOR,
    config_type=AnomalyConfig,
    create=_create,
    stability={Signal.METRICS.value: Stability.ALPHA},
    description="Scores metric series online and emits <name>.anomaly_score gauges",
)

__all__ = ["factory", "AnomalyConfig", "AnomalyProcessor"]
