"""Configuration of the basicauth extension (the Collector's basicauthextension keys)."""

from __future__ import annotations

from pydantic import Field

from otelpy.config.types import ConfigModel, Secret


class HtpasswdSettings(ConfigModel):
    """Server side: the accepted users, in htpasswd format."""

    file: str = Field(default="", description="Path of an htpasswd file, read at start and "
                                              "re-read within a second of a change.")
    inline: Secret | None = Field(
        default=None, description="htpasswd entries inline, one `user:hash` per line "
                                  "(merged with file; a user here wins).")


class ClientAuthSettings(ConfigModel):
    """Client side: the credentials sent."""

    username: str = Field(default="", description="User name sent.")
    password: Secret | None = Field(default=None, description="Password sent.")


class BasicAuthConfig(ConfigModel):
    """``extensions: basicauth:`` settings: either ``htpasswd`` (a server authenticator) or
    ``client_auth`` (a client authenticator)."""

    htpasswd: HtpasswdSettings | None = Field(
        default=None, description="Server side: check requests against these users.")
    client_auth: ClientAuthSettings | None = Field(
        default=None, description="Client side: send these credentials.")

    def validate_config(self) -> list[str]:
        if self.htpasswd is not None and self.client_auth is not None:
            return ["only one of htpasswd or client_auth can be specified"]
        if self.htpasswd is None and self.client_auth is None:
            return ["no credential source provided: set htpasswd (server) or client_auth "
                    "(client)"]
        if self.htpasswd is not None and not (self.htpasswd.file or self.htpasswd.inline):
            return ["htpasswd: set file or inline"]
        if self.client_auth is not None and ":" in self.client_auth.username:
            return ["client_auth.username: must not contain ':'"]
        return []
