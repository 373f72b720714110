"""Configuration of the zpages extension (the Collector's zpagesextension keys)."""

from __future__ import annotations

from pydantic import Field

from otelpy.config.auth import AuthSettings
from otelpy.config.server import Endpoint
from otelpy.config.tls import TLSServerSettings
from otelpy.config.types import ConfigModel


class ExpvarConfig(ConfigModel):
    """``expvar``: the runtime-variables page."""

    enabled: bool = Field(
        default=False,
        description="Serve /debug/expvarz: otelpy's runtime variables as JSON (command line, "
                    "Python version, garbage collector, resource usage, threads, asyncio "
                    "tasks), otelpy's counterpart of Go's expvar.")


class ZPagesConfig(ConfigModel):
    """``extensions: zpages:`` settings."""

    endpoint: str = Field(
        default="localhost:55679",
        description="host:port serving the pages under /debug/; \":55679\" listens on every "
                    "interface, \"localhost\" binds 127.0.0.1.")
    tls: TLSServerSettings | None = Field(
        default=None, description="TLS (and with client_ca_file mutual TLS) for the endpoint; "
                                  "unset = plaintext.")
    auth: AuthSettings | None = Field(
        default=None, description="Authenticator extension every request must pass; refused "
                                  "requests get 401.")
    expvar: ExpvarConfig = Field(default=ExpvarConfig(),
                                 description="The /debug/expvarz page (off by default).")

    def validate_config(self) -> list[str]:
        if not self.endpoint.strip():
            return ['"endpoint" is required when using the "zpages" extension']
        try:
            Endpoint.parse(self.endpoint)
        except ValueError as exc:
            return [str(exc)]
        return []
