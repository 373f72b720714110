"""The ``k8sobjects`` receiver: Kubernetes objects as log records, pulled at an interval or
watched (resourceVersion resume, no duplicates after a reconnect or a 410 relist)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.receivers.k8sobjects.config import K8sObjectsConfig


def _create(settings: Settings, cfg: K8sObjectsConfig,
            consumers: Mapping[Signal, Consumer]) -> Any:
    from otelpy.receivers.k8sobjects.receiver import K8sObjectsReceiver

    return K8sObjectsReceiver(settings, cfg, consumers)


factory = Factory(
    type="k8sobjects",
    kind=Kind.RECEIVER,
    config_type=K8sObjectsConfig,
    create=_create,
    stability={"logs": Stability.ALPHA},
    description="Kubernetes objects as log records, pulled at an interval or watched",
)

__all__ = ["factory", "K8sObjectsConfig"]
