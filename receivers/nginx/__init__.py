"""The ``nginx`` receiver (the Collector's nginxreceiver): reads the stub_status page on an
interval and sends nginx.requests and nginx.connections_* metrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.receivers.nginx.config import NginxConfig


def _create(settings: Settings, cfg: NginxConfig,
            consumers: Mapping[Signal, Consumer]) -> Any:
    from otelpy.receivers.nginx.receiver import NginxReceiver

    return NginxReceiver(settings, cfg, consumers[Signal.METRICS])


factory = Factory(
    type="nginx",
    kind=Kind.RECEIVER,
    config_type=NginxConfig,
    create=_create,
    stability={"metrics": Stability.ALPHA},
    description="Reads nginx's stub_status on an interval: nginx.requests, "
                "nginx.connections_accepted/handled/current (the Collector's nginxreceiver)",
)

__all__ = ["factory", "NginxConfig"]
