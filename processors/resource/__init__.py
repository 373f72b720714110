"""The ``resource`` processor: inserts, updates, deletes, hashes, extracts and converts
resource attributes of every signal."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.processors.resource.config import ResourceConfig
from otelpy.processors.resource.processor import ResourceProcessor


def _create(settings: Settings, cfg: ResourceConfig, signal: Signal,
            next_consumer: Consumer) -> ResourceProcessor:
    return ResourceProcessor(settings, cfg, signal, next_consumer)


factory = Factory(
    type="resource",
    kind=Kind.PROCESSOR,
    config_type=ResourceConfig,
    create=_create,
    stability={s.value: Stability.BETA for s in Signal},
    description="Inserts, updates, deletes, hashes, extracts and converts resource "
                "attributes",
)

__all__ = ["factory", "ResourceConfig", "ResourceProcessor"]
