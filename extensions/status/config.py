"""Configuration of the status extension."""

from __future__ import annotations

from pydantic import Field

from otelpy.config.auth import AuthSettings
from otelpy.config.server import Endpoint
from otelpy.config.tls import TLSServerSettings
from otelpy.config.types import ConfigModel


class StatusConfig(ConfigModel):
    """``extensions: status:`` settings."""

    endpoint: str = Field(
        default="localhost:13134",
        description="host:port serving /api/...; \"localhost\" binds 127.0.0.1, \":13134\" "
                    "listens on every interface.")
    tls: TLSServerSettings | None = Field(
        default=None, description="TLS (and with client_ca_file mutual TLS) for the endpoint; "
                                  "unset = plaintext.")
    auth: AuthSettings | None = Field(
        default=None, description="Authenticator extension every request must pass; refused "
                                  "requests get 401.")
    max_request_body: int = Field(
        default=1 << 20, ge=1, le=64 << 20,
        description="Largest request body accepted (bytes); larger ones get 413.")
    max_response_bytes: int = Field(
        default=16 << 20, ge=1024, le=256 << 20,
        description="Largest JSON answer served (bytes); a larger one gets 507 and is counted, "
                    "so ask for a shorter range or fewer results.")

    def validate_config(self) -> list[str]:
        if not self.endpoint.strip():
            return ['"endpoint" is required when using the "status" extension']
        try:
            Endpoint.parse(self.endpoint)
        except ValueError as exc:
            return [str(exc)]
        return []
