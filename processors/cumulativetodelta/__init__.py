"""The ``cumulativetodelta`` processor: cumulative monotonic sums and histograms become deltas
against the previous point of their stream, with bounded state."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.processors.cumulativetodelta.config import CumulativeToDeltaConfig
from otelpy.processors.cumulativetodelta.processor import CumulativeToDeltaProcessor


def _create(settings: Settings, cfg: CumulativeToDeltaConfig, signal: Signal,
            next_consumer: Consumer) -> CumulativeToDeltaProcessor:
    return CumulativeToDeltaProcessor(settings, cfg, next_consumer)


factory = Factory(
    type="cumulativetodelta",
    kind=Kind.PROCESSOR,
    config_type=CumulativeToDeltaConfig,
    create=_create,
    stability={Signal.METRICS.value: Stability.BETA},
    description="Converts cumulative monotonic sums and histograms to delta temporality",
)

__all__ = ["factory", "CumulativeToDeltaConfig", "CumulativeToDeltaProcessor"]
