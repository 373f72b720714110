"""The ``groupbyattrs`` processor: moves chosen attributes of items up to their resource
and regroups items under matching resources and scopes."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.processors.groupbyattrs.config import GroupByAttrsConfig
from otelpy.processors.groupbyattrs.processor import GroupByAttrsProcessor


def _create(settings: Settings, cfg: GroupByAttrsConfig, signal: Signal,
            next_consumer: Consumer) -> GroupByAttrsProcessor:
    return GroupByAttrsProcessor(settings, cfg, signal, next_consumer)


factory = Factory(
    type="groupbyattrs",
    kind=Kind.PROCESSOR,
    config_type=GroupByAttrsConfig,
    create=_create,
    stability={s.value: Stability.BETA for s in Signal},
    description="Moves chosen span, log and data point attributes to the resource and "
                "regroups; compacts identical resources and scopes",
)

__all__ = ["factory", "GroupByAttrsConfig", "GroupByAttrsProcessor"]
