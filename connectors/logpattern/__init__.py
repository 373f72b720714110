"""The ``logpattern`` connector: counts log records per pattern (the ``log.pattern.id`` the
logpattern processor sets) and emits the counts as metrics."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.connectors.logpattern.config import LogPatternCountsConfig
from otelpy.consumer import Consumer


def _create(settings: Settings, cfg: LogPatternCountsConfig, source: Signal, target: Signal,
            next_consumer: Consumer) -> Consumer:
    from otelpy.connectors.logpattern.connector import LogPatternCounts

    return LogPatternCounts(settings, cfg, next_consumer)


factory = Factory(
    type="logpattern",
    kind=Kind.CONNECTOR,
    config_type=LogPatternCountsConfig,
    create=_create,
    stability={"logs->metrics": Stability.ALPHA},
    description="Counts log records per pattern (log.pattern.id) and emits the counts as "
                "metrics",
)

__all__ = ["factory", "LogPatternCountsConfig"]
