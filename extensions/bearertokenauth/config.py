"""Configuration of the bearertokenauth extension (the Collector's bearertokenauthextension
keys and defaults)."""

from __future__ import annotations

from pydantic import Field

from otelpy.config.types import ConfigModel, Secret


class BearerTokenAuthConfig(ConfigModel):
    """``extensions: bearertokenauth:`` settings."""

    header: str = Field(default="Authorization",
                        description="Header (gRPC metadata key) carrying the token.")
    scheme: str = Field(default="Bearer", description="Auth scheme written before the token "
                                                      "(`<scheme> <token>`); empty = the token "
                                                      "alone.")
    token: Secret | None = Field(default=None, description="The token. Clients send it; "
                                                           "servers accept it.")
    tokens: list[Secret] = Field(default_factory=list,
                                 description="Server side: several accepted tokens (e.g. "
                                             "during a rotation); clients send the first.")
    filename: str = Field(default="", description="File holding the token (whitespace "
                                                  "trimmed); re-read when it changes.")

    def validate_config(self) -> list[str]:
        sources = [k for k in ("token", "tokens", "filename") if getattr(self, k)]
        if not sources:
            return ["no bearer token provided: set token, tokens or filename"]
        if len(sources) > 1:
            return [f"{' and '.join(sources)} are mutually exclusive: set one of them"]
        if not self.header.strip():
            return ["header: must not be empty"]
        return []
