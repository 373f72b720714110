"""``auth:`` of a server or client (the Collector's configauth): which authenticator
extension checks incoming requests (servers) or adds credentials to outgoing ones
(clients)."""

from __future__ import annotations

from pydantic import Field

from otelpy.component import ComponentID
from otelpy.config.types import ConfigModel, ExtensionID

__all__ = ["AuthSettings"]


class AuthSettings(ConfigModel):
    """``auth: {authenticator: <extension id>}``."""

    authenticator: ExtensionID = Field(
        description="ID of the authenticator extension (e.g. `bearertokenauth` or "
                    "`basicauth/server`); it must be listed in service::extensions.")

    @property
    def component_id(self) -> ComponentID:
        return ComponentID.parse(self.authenticator)
