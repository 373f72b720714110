"""Client settings shared by exporters: ``HTTPClientSettings`` and ``GRPCClientSettings``.

Key names and defaults follow the Collector's ``confighttp.ClientConfig`` and
``configgrpc.ClientConfig``. Header values are plain strings here; print-config
redacts Authorization-like header keys when it shows a document. ``tls`` is
:class:`~otelpy.config.tls.TLSClientSettings`: a gRPC connection is plaintext when
``tls.insecure: true`` or the endpoint starts with ``http://``, and uses TLS otherwise
(as in the Collector); HTTP uses TLS exactly when the URL is ``https://``. ``auth``
names a client authenticator extension (:mod:`otelpy.config.auth`).
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import Field, model_validator

from otelpy.config.auth import AuthSettings
from otelpy.config.tls import TLSClientSettings, check_grpc_tls
from otelpy.config.types import ConfigModel, Duration, grpc_channel_args

__all__ = ["GRPCClientSettings", "HTTPClientSettings", "KeepaliveClientSettings",
           "TLSClientSettings"]


class KeepaliveClientSettings(ConfigModel):
    """``keepalive``: HTTP/2 pings on an idle gRPC connection."""

    time: Duration = Field(0.0, description="Ping after this long without activity; 0 = never.")
    timeout: Duration = Field(20.0, description="Close the connection when a ping is not "
                              "answered within this time.")
    permit_without_stream: bool = Field(False, description="Ping even when no call is active.")


_GRPC_SCHEMES = ("http://", "https://")


class GRPCClientSettings(ConfigModel):
    """The Collector's gRPC client keys (``configgrpc.ClientConfig``)."""

    endpoint: str = Field("", description="host:port to connect to (gRPC naming syntax); an "
                          "`http://` or `https://` prefix is stripped and sets plaintext or TLS.")
    compression: Literal["gzip", "none", ""] = Field(
        "gzip", description="Compression of requests: `gzip` or `none` (empty = none).")
    headers: dict[str, str] = Field(default_factory=dict, description="Metadata sent with "
                                    "every call (Authorization-like keys are redacted when "
                                    "printed).")
    tls: TLSClientSettings = Field(default_factory=TLSClientSettings,
                                   description="Transport security.")
    auth: AuthSettings | None = Field(None, description="Client authenticator extension "
                                      "adding credentials to every call.")
    keepalive: KeepaliveClientSettings | None = Field(None, description="Client keepalive "
                                                      "pings; unset = gRPC defaults.")
    read_buffer_size: int = Field(0, ge=0, description="Read buffer of the connection in "
                                  "bytes; 0 = gRPC default.")
    write_buffer_size: int = Field(512 * 1024, ge=0, description="Write buffer of the "
                                   "connection in bytes; 0 = gRPC default.")
    wait_for_ready: bool = Field(False, description="Wait for the connection to be ready "
                                 "instead of failing fast while it is not.")
    balancer_name: Literal["round_robin", "pick_first"] = Field(
        "round_robin", description="gRPC load balancing policy across resolved addresses.")
    authority: str = Field("", description="Overrides the :authority header (virtual host).")

    @model_validator(mode="after")
    def _grpc_tls(self) -> Self:
        if not self.plaintext():
            try:
                check_grpc_tls(self.tls)
            except ValueError as exc:
                raise ValueError(f"tls: {exc}") from None
        return self

    def target(self) -> str:
        """The endpoint without an http(s):// prefix, as grpc wants it."""
        for scheme in _GRPC_SCHEMES:
            if self.endpoint.startswith(scheme):
                return self.endpoint[len(scheme):].rstrip("/")
        return self.endpoint

    def plaintext(self) -> bool:
        """True when the connection must not use TLS."""
        return self.tls.insecure or self.endpoint.startswith("http://")

    def channel_options(self) -> list[tuple[str, Any]]:
        """grpc channel options for these settings."""
        opts: list[tuple[str, Any]] = [("grpc.lb_policy_name", self.balancer_name)]
        if self.read_buffer_size:
            opts.append(("grpc.experimental.tcp_read_chunk_size", self.read_buffer_size))
        if self.write_buffer_size:
            opts.append(("grpc.http2.write_buffer_size", self.write_buffer_size))
        if self.authority:
            opts.append(("grpc.default_authority", self.authority))
        if self.tls.server_name_override and not self.plaintext():
            opts.append(("grpc.ssl_target_name_override", self.tls.server_name_override))
        if self.keepalive is not None:
            if self.keepalive.time:
                opts.append(("grpc.keepalive_time_ms", int(self.keepalive.time * 1000)))
            opts.append(("grpc.keepalive_timeout_ms", int(self.keepalive.timeout * 1000)))
            opts.append(("grpc.keepalive_permit_without_calls",
                         int(self.keepalive.permit_without_stream)))
        return grpc_channel_args(opts)

    def metadata(self) -> tuple[tuple[str, str], ...]:
        """``headers`` as gRPC metadata (keys lower-cased, as HTTP/2 requires)."""
        return tuple((k.lower(), v) for k, v in self.headers.items())

    def validate_config(self) -> list[str]:
        if not self.endpoint:
            return ["endpoint: must be set (host:port)"]
        if self.endpoint.startswith("https://") and self.tls.insecure:
            return ["tls.insecure: true contradicts an https:// endpoint"]
        return []


class HTTPClientSettings(ConfigModel):
    """The Collector's HTTP client keys (``confighttp.ClientConfig``)."""

    endpoint: str = Field("", description="Base URL, e.g. `http://collector:4318`.")
    headers: dict[str, str] = Field(default_factory=dict, description="Headers sent with every "
                                    "request (Authorization-like keys are redacted when "
                                    "printed).")
    tls: TLSClientSettings = Field(default_factory=TLSClientSettings,
                                   description="TLS of `https://` URLs.")
    auth: AuthSettings | None = Field(None, description="Client authenticator extension "
                                      "adding credentials to every request.")
    compression: Literal["gzip", "zstd", "none", ""] = Field(
        "gzip", description="Content-Encoding of request bodies: `gzip`, `zstd` or `none` "
        "(empty = none).")
    timeout: Duration = Field(30.0, description="Time limit of one request, response included.")
    read_buffer_size: int = Field(0, ge=0, description="Read buffer of a connection in bytes; "
                                  "0 = default.")
    write_buffer_size: int = Field(512 * 1024, ge=0, description="Accepted for Collector "
                                   "compatibility; the aiohttp client has no such buffer.")
    max_idle_conns: int = Field(100, ge=0, description="Connections kept open for reuse; also "
                                "the limit of concurrent connections (0 = no limit).")
    max_conns_per_host: int = Field(0, ge=0, description="Limit of concurrent connections to "
                                    "one host; 0 = no limit.")
    idle_conn_timeout: Duration = Field(90.0, description="Close a pooled connection after "
                                        "this long unused.")

    def validate_config(self) -> list[str]:
        if self.endpoint and not self.endpoint.startswith(("http://", "https://")):
            return ["endpoint: must start with http:// or https://"]
        return []
