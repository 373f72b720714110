"""The ``servicegraph`` connector: requests, failures and latency between services."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.connectors.servicegraph.config import ServiceGraphConfig
from otelpy.consumer import Consumer


def _create(settings: Settings, cfg: ServiceGraphConfig, source: Signal, target: Signal,
            next_consumer: Consumer) -> object:
    from otelpy.connectors.servicegraph.connector import ServiceGraphConnector

    if (source, target) != (Signal.TRACES, Signal.METRICS):
        raise ValueError(f"servicegraph connects traces to metrics, not {source} to {target}")
    return ServiceGraphConnector(settings, cfg, next_consumer)


factory = Factory(
    type="servicegraph",
    kind=Kind.CONNECTOR,
    config_type=ServiceGraphConfig,
    create=_create,
    stability={"traces->metrics": Stability.ALPHA},
    description="Request, failure and latency metrics per edge between services",
)

__all__ = ["factory"]
