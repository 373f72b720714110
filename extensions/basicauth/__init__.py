"""The ``basicauth`` extension: HTTP Basic authentication, server side (htpasswd) or client
side (a user name and password)."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Stability
from otelpy.extensions.basicauth.config import BasicAuthConfig
from otelpy.extensions.basicauth.extension import BasicAuthClient, BasicAuthServer


def _create(settings: Settings, cfg: BasicAuthConfig) -> BasicAuthServer | BasicAuthClient:
    problems = cfg.validate_config()
    if problems:
        raise ValueError("; ".join(problems))
    if cfg.htpasswd is not None:
        return BasicAuthServer(settings, cfg.htpasswd)
    if cfg.client_auth is None:  # excluded by validate_config; kept for the type checker
        raise ValueError("no credential source provided")
    return BasicAuthClient(cfg.client_auth)


factory = Factory(
    type="basicauth",
    kind=Kind.EXTENSION,
    config_type=BasicAuthConfig,
    create=_create,
    stability={"extension": Stability.BETA},
    description="HTTP Basic authentication: htpasswd users (server) or credentials (client)",
)

__all__ = ["factory", "BasicAuthConfig", "BasicAuthClient", "BasicAuthServer"]
