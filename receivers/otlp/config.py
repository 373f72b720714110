"""Configuration of the otlp receiver (the Collector's otlpreceiver keys and defaults).

As in the Collector, a protocol is enabled by naming it under ``protocols``: ``grpc:``
with no value (YAML null) enables gRPC with its defaults, and a protocol left out is
disabled. The Python-level default (``OTLPReceiverConfig()``) enables both, like the
Collector's default config.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from otelpy.config.server import (
    GRPCServerSettings,
    HTTPServerSettings,
    IdleTimeout,
    ReadHeaderTimeout,
    WriteTimeout,
)
from otelpy.config.types import ConfigModel


class OTLPGRPCSettings(GRPCServerSettings):
    """The gRPC protocol: a gRPC server with the otlp receiver's defaults."""

    read_buffer_size: int = Field(
        default=512 * 1024, ge=0,
        description="Read chunk size of the transport in bytes. 0 = gRPC default.")


class OTLPHTTPSettings(HTTPServerSettings):
    """The HTTP protocol: an HTTP server plus the URL path of each signal."""

    # the otlp receiver turns these confighttp timeouts off, for backward compatibility
    read_header_timeout: ReadHeaderTimeout = 0.0
    write_timeout: WriteTimeout = 0.0
    idle_timeout: IdleTimeout = 0.0
    traces_url_path: str = Field(
        default="/v1/traces",
        description="URL path receiving traces (a leading / is added if missing).")
    metrics_url_path: str = Field(
        default="/v1/metrics",
        description="URL path receiving metrics (a leading / is added if missing).")
    logs_url_path: str = Field(
        default="/v1/logs",
        description="URL path receiving logs (a leading / is added if missing).")

    @field_validator("traces_url_path", "metrics_url_path", "logs_url_path")
    @classmethod
    def _sanitize_path(cls, value: str) -> str:
        path = value.split("?", 1)[0].split("#", 1)[0]
        if not path or any(c.isspace() for c in path):
            raise ValueError(f"invalid HTTP URL path {value!r}")
        return path if path.startswith("/") else "/" + path


class Protocols(ConfigModel):
    """The protocols served; at least one is required."""

    grpc: OTLPGRPCSettings | None = Field(
        default=None, description="OTLP over gRPC; `grpc:` with no value enables it with defaults.")
    http: OTLPHTTPSettings | None = Field(
        default=None,
        description="OTLP over HTTP (protobuf and JSON); `http:` with no value enables it with "
                    "defaults.")

    @model_validator(mode="before")
    @classmethod
    def _null_means_defaults(cls, data: Any) -> Any:
        """A protocol named with no value (YAML null) is enabled with its defaults."""
        if isinstance(data, dict):
            return {k: ({} if v is None and k in ("grpc", "http") else v)
                    for k, v in data.items()}
        return data


def _both() -> Protocols:
    return Protocols(grpc=OTLPGRPCSettings(), http=OTLPHTTPSettings())


class OTLPReceiverConfig(ConfigModel):
    """``receivers: otlp:`` settings."""

    protocols: Protocols = Field(
        default_factory=_both,
        description="Protocols to serve: grpc (default localhost:4317) and/or http "
                    "(default localhost:4318).")

    def validate_config(self) -> list[str]:
        problems = []
        if self.protocols.grpc is None and self.protocols.http is None:
            problems.append("protocols: must specify at least one protocol (grpc or http) "
                            "when using the otlp receiver")
        grpc, http = self.protocols.grpc, self.protocols.http
        if grpc is not None and http is not None:
            g, h = grpc.parsed_endpoint(), http.parsed_endpoint()
            if g.port and g.port == h.port and (g.bind_host is None or h.bind_host is None
                                                or g.bind_host == h.bind_host):
                problems.append(f"protocols: grpc.endpoint {grpc.endpoint!r} and http.endpoint "
                                f"{http.endpoint!r} use the same port")
        return problems
