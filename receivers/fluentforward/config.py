"""Configuration of the fluentforward receiver (the Collector's fluentforwardreceiver)."""

from __future__ import annotations

from pydantic import Field, field_validator

from otelpy.config.server import Endpoint
from otelpy.config.types import ConfigModel


class FluentForwardReceiverConfig(ConfigModel):
    """``receivers: fluentforward:`` (also ``fluent_forward:``) settings."""

    endpoint: str = Field("localhost:8006", description="TCP `host:port` to listen on (a UDP "
                          "socket on the same port answers heartbeats), or "
                          "`unix:///path/to/socket`.")

    @field_validator("endpoint")
    @classmethod
    def _valid_endpoint(cls, value: str) -> str:
        if value.startswith("unix://"):
            if not value[len("unix://"):]:
                raise ValueError("unix:// endpoint needs a socket path")
            return value
        Endpoint.parse(value)
        return value


__all__ = ["FluentForwardReceiverConfig"]
