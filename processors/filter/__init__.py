"""The ``filter`` processor: drops spans, span events, metrics, data points and log
records that OTTL conditions match."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.processors.filter.config import FilterConfig


def _create(settings: Settings, cfg: FilterConfig, signal: Signal,
            next_consumer: Consumer) -> object:
    from otelpy.processors.filter.processor import FilterProcessor

    return FilterProcessor(settings, cfg, signal, next_consumer)


factory = Factory(
    type="filter",
    kind=Kind.PROCESSOR,
    config_type=FilterConfig,
    create=_create,
    stability={s.value: Stability.ALPHA for s in Signal},
    description="Drops spans, span events, metrics, data points and log records matched "
                "by OTTL conditions or include/exclude properties; every drop is counted",
)

__all__ = ["factory", "FilterConfig"]
