"""The ``probabilistic_sampler`` processor: stateless, consistent sampling of spans and log
records by trace ID (or a log record attribute), with the Collector's modes and decisions."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.processors.probabilistic_sampler.config import ProbabilisticSamplerConfig


def _create(settings: Settings, cfg: ProbabilisticSamplerConfig, signal: Signal,
            next_consumer: Consumer) -> object:
    from otelpy.processors.probabilistic_sampler.processor import (
        ProbabilisticSamplerProcessor,
    )

    return ProbabilisticSamplerProcessor(settings, cfg, signal, next_consumer)


factory = Factory(
    type="probabilistic_sampler",
    kind=Kind.PROCESSOR,
    config_type=ProbabilisticSamplerConfig,
    create=_create,
    stability={Signal.TRACES.value: Stability.BETA, Signal.LOGS.value: Stability.ALPHA},
    description="Keeps a percentage of spans and log records, decided from the trace ID "
                "(hash_seed, proportional or equalizing mode) as the Collector decides",
)

__all__ = ["factory", "ProbabilisticSamplerConfig"]
