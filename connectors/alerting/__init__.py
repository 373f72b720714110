"""The ``alerting`` connector: evaluates Prometheus rule files and inline rules over the
metrics of its pipelines; alert changes go out as logs, rule results as metrics."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.connectors.alerting.config import AlertingConfig
from otelpy.consumer import Consumer


def _create(settings: Settings, cfg: AlertingConfig, source: Signal, target: Signal,
            next_consumer: Consumer) -> object:
    from otelpy.connectors.alerting.connector import AlertingConnector

    return AlertingConnector(settings, cfg, source, target, next_consumer)


factory = Factory(
    type="alerting",
    kind=Kind.CONNECTOR,
    config_type=AlertingConfig,
    create=_create,
    stability={"metrics->logs": Stability.ALPHA, "metrics->metrics": Stability.ALPHA},
    description="Evaluates Prometheus rule files and inline (static, adaptive, anomaly) "
                "alert rules; alert changes out as logs, rule results as metrics",
)

__all__ = ["factory"]
