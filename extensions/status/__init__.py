"""The ``status`` extension: the ``/api/...`` JSON views of components that hold windows."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Stability
from otelpy.extensions.status.config import StatusConfig
from otelpy.extensions.status.extension import StatusExtension


def _create(settings: Settings, cfg: StatusConfig) -> StatusExtension:
    return StatusExtension(settings, cfg)


factory = Factory(
    type="status",
    kind=Kind.EXTENSION,
    config_type=StatusConfig,
    create=_create,
    stability={"extension": Stability.ALPHA},
    description="JSON API (/api/...) for span analytics, log insights, alerts and health",
)

__all__ = ["factory", "StatusConfig", "StatusExtension"]
