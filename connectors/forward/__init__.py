"""The ``forward`` connector: passes data from pipelines to pipelines of the same signal."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.config.types import EmptyConfig
from otelpy.connectors.forward.connector import ForwardConnector
from otelpy.consumer import Consumer


def _create(settings: Settings, cfg: EmptyConfig, source: Signal, target: Signal,
            next_consumer: Consumer) -> ForwardConnector:
    return ForwardConnector(settings, cfg, source, target, next_consumer)


factory = Factory(
    type="forward",
    kind=Kind.CONNECTOR,
    config_type=EmptyConfig,
    create=_create,
    stability={f"{s.value}->{s.value}": Stability.BETA for s in Signal},
    description="Forwards data from pipelines to pipelines of the same signal, unchanged",
)

__all__ = ["factory", "ForwardConnector"]
