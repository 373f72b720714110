"""Configuration of the jaeger receiver (the Collector's jaegerreceiver keys and defaults).

A protocol is enabled by naming it under ``protocols`` (``thrift_compact:`` with no value
enables it with its defaults); at least one is required.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from otelpy.config.server import Endpoint, GRPCServerSettings, HTTPServerSettings
from otelpy.config.types import ConfigModel

PROTOCOLS = ("grpc", "thrift_http", "thrift_binary", "thrift_compact")


class JaegerGRPCSettings(GRPCServerSettings):
    """``jaeger.api_v2.CollectorService/PostSpans`` over gRPC."""

    endpoint: str = Field(default="localhost:14250", description="host:port to listen on.")


class JaegerThriftHTTPSettings(HTTPServerSettings):
    """``POST /api/traces`` with a binary-Thrift ``jaeger.Batch`` (the Jaeger collector's
    HTTP endpoint)."""

    endpoint: str = Field(default="localhost:14268", description="host:port to listen on.")


class UDPSettings(ConfigModel):
    """A Jaeger agent UDP endpoint (``Agent.emitBatch``)."""

    endpoint: str = Field(description="host:port to listen on (UDP).")
    queue_size: int = Field(default=1000, ge=1, description="Datagrams waiting for a worker; "
                            "when full, new datagrams are dropped and counted.")
    max_packet_size: int = Field(default=65000, ge=1, le=65535,
                                 description="Largest datagram in bytes; larger ones are "
                                 "dropped and counted.")
    workers: int = Field(default=10, ge=1, description="Tasks decoding datagrams and handing "
                         "them to the pipeline.")
    socket_buffer_size: int = Field(default=0, ge=0, description="SO_RCVBUF of the socket in "
                                    "bytes; 0 = the system default.")

    @field_validator("endpoint")
    @classmethod
    def _valid_endpoint(cls, value: str) -> str:
        Endpoint.parse(value)
        return value


class ThriftCompactSettings(UDPSettings):
    """Thrift compact protocol over UDP (what Jaeger clients send by default)."""

    endpoint: str = Field(default="localhost:6831", description="host:port to listen on (UDP).")


class ThriftBinarySettings(UDPSettings):
    """Thrift binary protocol over UDP."""

    endpoint: str = Field(default="localhost:6832", description="host:port to listen on (UDP).")


class Protocols(ConfigModel):
    """The protocols served; at least one is required."""

    grpc: JaegerGRPCSettings | None = Field(
        default=None, description="Jaeger protobuf over gRPC (default localhost:14250).")
    thrift_http: JaegerThriftHTTPSettings | None = Field(
        default=None, description="Thrift over HTTP, POST /api/traces (default "
                                  "localhost:14268).")
    thrift_binary: ThriftBinarySettings | None = Field(
        default=None, description="Agent Thrift binary over UDP (default localhost:6832).")
    thrift_compact: ThriftCompactSettings | None = Field(
        default=None, description="Agent Thrift compact over UDP (default localhost:6831).")

    @model_validator(mode="before")
    @classmethod
    def _null_means_defaults(cls, data: Any) -> Any:
        """A protocol named with no value (YAML null) is enabled with its defaults."""
        if isinstance(data, dict):
            return {k: ({} if v is None and k in PROTOCOLS else v) for k, v in data.items()}
        return data


class JaegerReceiverConfig(ConfigModel):
    """``receivers: jaeger:`` settings."""

    protocols: Protocols = Field(default_factory=Protocols,
                                 description="Protocols to serve (at least one).")
    remote_sampling: dict[str, Any] | None = Field(
        default=None, description="Not supported (the Collector deprecated it); refused when "
                                  "set.")

    def validate_config(self) -> list[str]:
        problems = []
        p = self.protocols
        if all(getattr(p, name) is None for name in PROTOCOLS):
            problems.append("protocols: must specify at least one protocol when using the "
                            "Jaeger receiver")
        if self.remote_sampling is not None:
            problems.append("remote_sampling: not supported")
        return problems
