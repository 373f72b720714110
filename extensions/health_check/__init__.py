"""The ``health_check`` extension: HTTP liveness/readiness endpoint."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Stability
from otelpy.extensions.health_check.config import HealthCheckConfig
from otelpy.extensions.health_check.extension import HealthCheckExtension


def _create(settings: Settings, cfg: HealthCheckConfig) -> HealthCheckExtension:
    return HealthCheckExtension(settings, cfg)


factory = Factory(
    type="health_check",
    kind=Kind.EXTENSION,
    config_type=HealthCheckConfig,
    create=_create,
    stability={"extension": Stability.BETA},
    description="HTTP endpoint answering 200 while every pipeline is running, 503 otherwise",
)

__all__ = ["factory", "HealthCheckConfig", "HealthCheckExtension"]
