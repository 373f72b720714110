"""The ``deltatocumulative`` processor: accumulates delta sums, histograms and exponential
histograms into cumulative ones, per stream, with bounded state."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.processors.deltatocumulative.config import DeltaToCumulativeConfig
from otelpy.processors.deltatocumulative.processor import DeltaToCumulativeProcessor


def _create(settings: Settings, cfg: DeltaToCumulativeConfig, signal: Signal,
            next_consumer: Consumer) -> DeltaToCumulativeProcessor:
    return DeltaToCumulativeProcessor(settings, cfg, next_consumer)


factory = Factory(
    type="deltatocumulative",
    kind=Kind.PROCESSOR,
    config_type=DeltaToCumulativeConfig,
    create=_create,
    stability={Signal.METRICS.value: Stability.ALPHA},
    description="Converts delta sums and histograms to cumulative by accumulating them "
                "per stream",
)

__all__ = ["factory", "DeltaToCumulativeConfig", "DeltaToCumulativeProcessor"]
