"""The ``logpattern`` processor: mines log templates and tags each record with its
pattern's ID and template."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.processors.logpattern.config import LogPatternConfig


def _create(settings: Settings, cfg: LogPatternConfig, signal: Signal,
            next_consumer: Consumer) -> Consumer:
    from otelpy.processors.logpattern.processor import LogPatternProcessor

    return LogPatternProcessor(settings, cfg, next_consumer)


factory = Factory(
    type="logpattern",
    kind=Kind.PROCESSOR,
    config_type=LogPatternConfig,
    create=_create,
    stability={Signal.LOGS.value: Stability.ALPHA},
    description="Mines log templates (Drain-style prefix tree with masking) and adds "
                "log.pattern.id and log.pattern.template to every log record",
)

__all__ = ["factory", "LogPatternConfig"]
