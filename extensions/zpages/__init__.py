"""The ``zpages`` extension: live HTML pages about the running service under /debug/."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Stability
from otelpy.extensions.zpages.config import ZPagesConfig
from otelpy.extensions.zpages.extension import ZPagesExtension


def _create(settings: Settings, cfg: ZPagesConfig) -> ZPagesExtension:
    return ZPagesExtension(settings, cfg)


factory = Factory(
    type="zpages",
    kind=Kind.EXTENSION,
    config_type=ZPagesConfig,
    create=_create,
    stability={"extension": Stability.ALPHA},
    description="HTML pages at /debug/servicez, pipelinez, extensionz, featurez and tracez",
)

__all__ = ["factory", "ZPagesConfig", "ZPagesExtension"]
