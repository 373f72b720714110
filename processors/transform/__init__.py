"""The ``transform`` processor: changes telemetry with OTTL statements."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.processors.transform.config import TransformConfig


def _create(settings: Settings, cfg: TransformConfig, signal: Signal,
            next_consumer: Consumer) -> object:
    from otelpy.processors.transform.processor import TransformProcessor

    return TransformProcessor(settings, cfg, signal, next_consumer)


factory = Factory(
    type="transform",
    kind=Kind.PROCESSOR,
    config_type=TransformConfig,
    create=_create,
    stability={s.value: Stability.BETA for s in Signal},
    description="Changes spans, metrics and logs with OTTL statements (set, delete_key, "
                "replace_pattern, ...), optionally under where clauses",
)

__all__ = ["factory", "TransformConfig"]
