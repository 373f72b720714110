"""The ``memory_limiter`` processor: refuses data while the process uses too much memory."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.processors.memory_limiter.config import MemoryLimiterConfig
from otelpy.processors.memory_limiter.limiter import MemoryLimiterProcessor


def _create(settings: Settings, cfg: MemoryLimiterConfig, signal: Signal,
            next_consumer: Consumer) -> MemoryLimiterProcessor:
    return MemoryLimiterProcessor(settings, cfg, signal, next_consumer)


factory = Factory(
    type="memory_limiter",
    kind=Kind.PROCESSOR,
    config_type=MemoryLimiterConfig,
    create=_create,
    stability={s.value: Stability.BETA for s in Signal},
    description="Refuses data with a retryable error while the process memory is above "
                "its soft limit",
)

__all__ = ["factory", "MemoryLimiterConfig", "MemoryLimiterProcessor"]
