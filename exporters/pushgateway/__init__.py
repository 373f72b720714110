"""The ``pushgateway`` exporter: metrics pushed to a Prometheus Pushgateway per job and
grouping key (otelpy's own component; the Collector has none)."""

from __future__ import annotations

from collections.abc import Iterable

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.exporters.pushgateway.config import PushgatewayConfig
from otelpy.exporters.pushgateway.exporter import PushgatewayExporter


def _create(settings: Settings, cfg: PushgatewayConfig,
            signals: Iterable[Signal]) -> PushgatewayExporter:
    return PushgatewayExporter(settings, cfg, signals)


factory = Factory(
    type="pushgateway",
    kind=Kind.EXPORTER,
    config_type=PushgatewayConfig,
    create=_create,
    stability={Signal.METRICS.value: Stability.ALPHA},
    description="Pushes metrics to a Prometheus Pushgateway (text format) per job and "
                "grouping key, with PUT or POST semantics",
)

__all__ = ["factory", "PushgatewayConfig", "PushgatewayExporter"]
