"""The ``bearertokenauth`` extension: bearer tokens checked on servers, sent by clients."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Stability
from otelpy.extensions.bearertokenauth.config import BearerTokenAuthConfig
from otelpy.extensions.bearertokenauth.extension import BearerTokenAuth


def _create(settings: Settings, cfg: BearerTokenAuthConfig) -> BearerTokenAuth:
    return BearerTokenAuth(settings, cfg)


factory = Factory(
    type="bearertokenauth",
    kind=Kind.EXTENSION,
    config_type=BearerTokenAuthConfig,
    create=_create,
    stability={"extension": Stability.BETA},
    description="Bearer token authentication: servers check it, clients send it",
)

__all__ = ["factory", "BearerTokenAuthConfig", "BearerTokenAuth"]
