"""The ``tail_sampling`` processor: whole-trace sampling decided decision_wait after a
trace's first span, with the Collector's policies, order and precedence."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.processors.tail_sampling.config import TailSamplingConfig


def _create(settings: Settings, cfg: TailSamplingConfig, signal: Signal,
            next_consumer: Consumer) -> object:
    from otelpy.processors.tail_sampling.processor import TailSamplingProcessor

    return TailSamplingProcessor(settings, cfg, next_consumer)


factory = Factory(
    type="tail_sampling",
    kind=Kind.PROCESSOR,
    config_type=TailSamplingConfig,
    create=_create,
    stability={Signal.TRACES.value: Stability.BETA},
    description="Buffers spans per trace and keeps whole traces chosen by policies "
                "(latency, status code, attributes, rates, OTTL, and/drop/composite)",
)

__all__ = ["factory", "TailSamplingConfig"]
