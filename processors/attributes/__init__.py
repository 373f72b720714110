"""The ``attributes`` processor: inserts, updates, deletes, hashes, extracts and converts
attributes of spans, log records and metric data points."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.processors.attributes.config import AttributesConfig
from otelpy.processors.attributes.processor import AttributesProcessor


def _create(settings: Settings, cfg: AttributesConfig, signal: Signal,
            next_consumer: Consumer) -> AttributesProcessor:
    return AttributesProcessor(settings, cfg, signal, next_consumer)


factory = Factory(
    type="attributes",
    kind=Kind.PROCESSOR,
    config_type=AttributesConfig,
    create=_create,
    stability={s.value: Stability.BETA for s in Signal},
    description="Inserts, updates, deletes, hashes, extracts and converts attributes of "
                "spans, log records and metric data points, optionally only for matching items",
)

__all__ = ["factory", "AttributesConfig", "AttributesProcessor"]
