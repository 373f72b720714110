"""The ``prometheus`` receiver: scrapes Prometheus targets into OTLP metrics, as the
Collector's prometheusreceiver."""

from __future__ import annotations

from collections.abc import Mapping

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.receivers.prometheus.config import PrometheusReceiverConfig


def _create(settings: Settings, cfg: PrometheusReceiverConfig,
            consumers: Mapping[Signal, Consumer]) -> object:
    from otelpy.receivers.prometheus.receiver import PrometheusReceiver
    return PrometheusReceiver(settings, cfg, consumers)


factory = Factory(
    type="prometheus",
    kind=Kind.RECEIVER,
    config_type=PrometheusReceiverConfig,
    create=_create,
    stability={"metrics": Stability.BETA},
    description="Scrapes Prometheus and OpenMetrics endpoints into OTLP metrics",
)

__all__ = ["factory", "PrometheusReceiverConfig"]
