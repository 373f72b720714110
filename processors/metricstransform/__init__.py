"""The ``metricstransform`` processor: renames metrics, adds, renames and deletes labels and
label values, toggles and scales values, aggregates across labels and label values, combines
and regroups metrics (the Collector's metricstransformprocessor)."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.processors.metricstransform.config import MetricsTransformConfig
from otelpy.processors.metricstransform.processor import MetricsTransformProcessor


def _create(settings: Settings, cfg: MetricsTransformConfig, signal: Signal,
            next_consumer: Consumer) -> MetricsTransformProcessor:
    return MetricsTransformProcessor(settings, cfg, signal, next_consumer)


factory = Factory(
    type="metricstransform",
    kind=Kind.PROCESSOR,
    config_type=MetricsTransformConfig,
    create=_create,
    stability={Signal.METRICS.value: Stability.BETA},
    description="Renames metrics, changes labels and label values, scales, aggregates, "
                "combines and regroups metrics",
)

__all__ = ["factory", "MetricsTransformConfig", "MetricsTransformProcessor"]
