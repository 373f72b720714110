"""The ``k8s_events`` receiver: core/v1 Kubernetes Events as log records, watched with
resourceVersion resume and no duplicates after a reconnect or a 410 Gone relist."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.receivers.k8s_events.config import K8sEventsConfig


def _create(settings: Settings, cfg: K8sEventsConfig,
            consumers: Mapping[Signal, Consumer]) -> Any:
    from otelpy.receivers.k8s_events.receiver import K8sEventsReceiver

    return K8sEventsReceiver(settings, cfg, consumers)


factory = Factory(
    type="k8s_events",
    kind=Kind.RECEIVER,
    config_type=K8sEventsConfig,
    create=_create,
    stability={"logs": Stability.ALPHA},
    description="Kubernetes Events (core/v1) as log records, new and updated ones",
)

__all__ = ["factory", "K8sEventsConfig"]
