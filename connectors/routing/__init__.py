"""The ``routing`` connector: routes items to pipelines by OTTL conditions or client
metadata."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.connectors.routing.config import RoutingConfig, pipeline_refs
from otelpy.connectors.routing.connector import RoutingConnector
from otelpy.consumer import Consumer, PipelineRouter


def _create(settings: Settings, cfg: RoutingConfig, source: Signal, target: Signal,
            next_consumer: Consumer) -> RoutingConnector:
    if not isinstance(next_consumer, PipelineRouter):
        raise TypeError("the routing connector needs the engine's PipelineRouter")
    return RoutingConnector(settings, cfg, source, next_consumer)


factory = Factory(
    type="routing",
    kind=Kind.CONNECTOR,
    config_type=RoutingConfig,
    create=_create,
    stability={f"{s.value}->{s.value}": Stability.ALPHA for s in Signal},
    description="Routes each resource, span, metric, data point or log record to the "
                "pipelines of the first matching OTTL condition (or request metadata)",
    pipeline_refs=pipeline_refs,
)

__all__ = ["factory", "RoutingConfig", "RoutingConnector"]
