"""The ``k8sattributes`` processor: adds Kubernetes pod metadata, labels and annotations to
resources, from a watched pod cache."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.processors.k8sattributes.config import K8sAttributesConfig
from otelpy.processors.k8sattributes.processor import K8sAttributesProcessor


def _create(settings: Settings, cfg: K8sAttributesConfig, signal: Signal,
            next_consumer: Consumer) -> K8sAttributesProcessor:
    return K8sAttributesProcessor(settings, cfg, signal, next_consumer)


factory = Factory(
    type="k8sattributes",
    kind=Kind.PROCESSOR,
    config_type=K8sAttributesConfig,
    create=_create,
    stability={s.value: Stability.ALPHA for s in Signal},
    description="Adds Kubernetes pod metadata, labels and annotations to resources, by pod "
                "IP, UID or connection, from a watched cache",
)

__all__ = ["factory", "K8sAttributesConfig", "K8sAttributesProcessor"]
