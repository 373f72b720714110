"""The ``spanmetrics`` connector: calls, duration and events metrics from spans."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.connectors.spanmetrics.config import SpanMetricsConfig
from otelpy.consumer import Consumer


def _create(settings: Settings, cfg: SpanMetricsConfig, source: Signal, target: Signal,
            next_consumer: Consumer) -> object:
    from otelpy.connectors.spanmetrics.connector import SpanMetricsConnector

    if (source, target) != (Signal.TRACES, Signal.METRICS):
        raise ValueError(f"spanmetrics connects traces to metrics, not {source} to {target}")
    return SpanMetricsConnector(settings, cfg, next_consumer)


factory = Factory(
    type="spanmetrics",
    kind=Kind.CONNECTOR,
    config_type=SpanMetricsConfig,
    create=_create,
    stability={"traces->metrics": Stability.ALPHA},
    description="Request, error and duration (R.E.D.) metrics from spans",
)

__all__ = ["factory"]
