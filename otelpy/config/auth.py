"""``auth:`` of a server or client (the Collector's configauth): which authenticator
extension checks incoming requests (servers) or adds credentials to outgoing ones
(clients)."""

from __future__ import annotations

from pydantic import Field, field_validator

from otelpy.component import ComponentID
from otelpy.config.types import ConfigModel

__all__ = ["AuthSettings"]


class AuthSettings(ConfigModel):
    """``auth: {authenticator: <extension id>}``."""

    authenticator: str = Field(
        description="ID of the authenticator extension (e.g. `bearertokenauth` or "
                    "`basicauth/server`); it must be listed in service::extensions.")

    @field_validator("authenticator")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        ComponentID.parse(value)
        return value

    @property
    def component_id(self) -> ComponentID:
        return ComponentID.parse(self.authenticator)
