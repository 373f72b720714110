"""The ``healthcheck`` receiver: probes what a service depends on (HTTP, TCP, DNS, gRPC,
PostgreSQL, Redis, custom Python checks) at intervals, emits each run as metrics and each
state change as a log event, and answers the overall status. Drivers are imported when a
receiver is created, not here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.receivers.healthcheck.config import HealthCheckReceiverConfig


def _create(settings: Settings, cfg: HealthCheckReceiverConfig,
            consumers: Mapping[Signal, Consumer]) -> Any:
    from otelpy.receivers.healthcheck.receiver import HealthCheckReceiver

    return HealthCheckReceiver(settings, cfg, consumers)


factory = Factory(
    type="healthcheck",
    kind=Kind.RECEIVER,
    config_type=HealthCheckReceiverConfig,
    create=_create,
    stability={"metrics": Stability.ALPHA, "logs": Stability.ALPHA},
    description="Probes dependencies (http, tcp, dns, grpc, postgresql, redis, custom) on "
                "intervals; metrics per run, a log event per state change, and the overall "
                "status at the health_check extension's /health/checks",
)

__all__ = ["factory", "HealthCheckReceiverConfig"]
