"""The ``logspike`` processor: error-spike and new-pattern detection per log pattern."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.processors.logspike.config import LogSpikeConfig


def _create(settings: Settings, cfg: LogSpikeConfig, signal: Signal,
            next_consumer: Consumer) -> Consumer:
    from otelpy.processors.logspike.processor import LogSpikeProcessor

    return LogSpikeProcessor(settings, cfg, next_consumer)


factory = Factory(
    type="logspike",
    kind=Kind.PROCESSOR,
    config_type=LogSpikeConfig,
    create=_create,
    stability={Signal.LOGS.value: Stability.ALPHA},
    description="Passes log records on and adds log.anomaly events when a pattern's error "
                "rate spikes over its baseline or a new error pattern appears",
)

__all__ = ["factory", "LogSpikeConfig"]
