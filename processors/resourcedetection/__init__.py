"""The ``resourcedetection`` processor: detects resource attributes from the environment,
the host, Docker and cloud metadata services once at start, and adds them to every resource
(the Collector's resourcedetectionprocessor)."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.processors.resourcedetection.config import ResourceDetectionConfig
from otelpy.processors.resourcedetection.processor import ResourceDetectionProcessor


def _create(settings: Settings, cfg: ResourceDetectionConfig, signal: Signal,
            next_consumer: Consumer) -> ResourceDetectionProcessor:
    return ResourceDetectionProcessor(settings, cfg, signal, next_consumer)


factory = Factory(
    type="resourcedetection",
    kind=Kind.PROCESSOR,
    config_type=ResourceDetectionConfig,
    create=_create,
    stability={s.value: Stability.BETA for s in Signal},
    description="Detects resource attributes (env, system, docker, ec2, gcp, azure, aks, "
                "k8snode, eks) "
                "once at start and adds them to every resource",
)

__all__ = ["factory", "ResourceDetectionConfig", "ResourceDetectionProcessor"]
