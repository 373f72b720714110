"""Server settings shared by receivers: gRPC (the Collector's configgrpc) and HTTP (confighttp).

Key names and defaults follow the Collector's ``configgrpc.ServerConfig`` and
``confighttp.ServerConfig``. :class:`Endpoint` turns an ``endpoint`` string into
what a server binds: ``localhost`` binds 127.0.0.1 and an empty host (``":4317"``)
binds every interface, as the Collector does.

Both carry ``tls`` (:mod:`otelpy.config.tls`) and ``auth`` (:mod:`otelpy.config.auth`);
:mod:`otelpy.security` turns them into what the server needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from otelpy.config.auth import AuthSettings
from otelpy.config.lists import StringList
from otelpy.config.tls import TLSServerSettings, check_grpc_tls
from otelpy.config.types import ConfigModel, Duration, grpc_channel_args

MIB = 1024 * 1024
DEFAULT_MAX_REQUEST_BODY_SIZE = 20 * MIB  # confighttp's default
DEFAULT_MAX_RECV_MSG_SIZE_MIB = 4  # grpc's default


@dataclass(frozen=True)
class Endpoint:
    """A listening address parsed from ``host:port``.

    ``host`` is None for "every interface". ``text`` is the endpoint as configured,
    for messages.
    """

    host: str | None
    port: int
    text: str

    @classmethod
    def parse(cls, text: str) -> Endpoint:
        """``host:port``, ``[v6addr]:port`` or ``:port`` -> Endpoint; ValueError otherwise."""
        raw = text.strip()
        host, sep, port = raw.rpartition(":")
        if not sep or not port.isdigit() or int(port) > 65535:
            raise ValueError(
                f"endpoint {text!r} must be host:port (e.g. localhost:4317, or :4317 for "
                "every interface)")
        if host.startswith("[") != host.endswith("]"):
            raise ValueError(f"endpoint {text!r}: unbalanced brackets around the IPv6 address")
        host = host[1:-1] if host.startswith("[") else host
        if ":" in host and not raw.startswith("["):
            raise ValueError(f"endpoint {text!r}: write IPv6 addresses in brackets, "
                             "e.g. [::1]:4317")
        return cls(host or None, int(port), raw)

    @property
    def bind_host(self) -> str | None:
        """The host to bind (``localhost`` -> 127.0.0.1; None = every interface)."""
        if self.host is not None and self.host.lower() == "localhost":
            return "127.0.0.1"
        return self.host

    def grpc_address(self, port: int | None = None) -> str:
        """The address in grpc's ``add_*_port`` syntax (``[::]:port`` for every interface)."""
        host = self.bind_host
        p = self.port if port is None else port
        if host is None:
            return f"[::]:{p}"
        return f"[{host}]:{p}" if ":" in host else f"{host}:{p}"

    def __str__(self) -> str:
        return self.text


class _ServerSettings(ConfigModel):
    """What every server config has: the ``endpoint`` it listens on, checked on load."""

    endpoint: str = Field(description="host:port to listen on.")

    @field_validator("endpoint")
    @classmethod
    def _valid_endpoint(cls, value: str) -> str:
        Endpoint.parse(value)
        return value

    def parsed_endpoint(self) -> Endpoint:
        return Endpoint.parse(self.endpoint)


# -- gRPC ------------------------------------------------------------------------------
class KeepaliveServerParameters(ConfigModel):
    """grpc keepalive.ServerParameters; 0 keeps gRPC's default."""

    max_connection_idle: Duration = Field(
        default=0.0, description="Close a connection idle for this long (GOAWAY). 0 = never.")
    max_connection_age: Duration = Field(
        default=0.0, description="Close a connection after it has existed this long. 0 = never.")
    max_connection_age_grace: Duration = Field(
        default=0.0,
        description="Time allowed for pending RPCs after max_connection_age. 0 = forever.")
    time: Duration = Field(
        default=0.0, description="Ping a client after this much inactivity. 0 = gRPC default (2h).")
    timeout: Duration = Field(
        default=0.0, description="Close the connection if a ping is not answered within this. "
                                 "0 = gRPC default (20s).")


class KeepaliveEnforcementPolicy(ConfigModel):
    """grpc keepalive.EnforcementPolicy: what the server tolerates from client pings."""

    min_time: Duration = Field(
        default=0.0, description="Minimum time between client pings; faster pingers are "
                                 "disconnected. 0 = gRPC default (5m).")
    permit_without_stream: bool = Field(
        default=False, description="Allow client pings when there is no active RPC.")


class KeepaliveServerConfig(ConfigModel):
    """``keepalive`` of a gRPC server."""

    server_parameters: KeepaliveServerParameters | None = Field(
        default=None, description="Server-side keepalive parameters.")
    enforcement_policy: KeepaliveEnforcementPolicy | None = Field(
        default=None, description="Client ping enforcement.")


class GRPCServerSettings(_ServerSettings):
    """A gRPC server (the Collector's configgrpc.ServerConfig)."""

    endpoint: str = Field(
        default="localhost:4317",
        description="host:port to listen on; \":4317\" listens on every interface, "
                    "\"localhost\" binds 127.0.0.1.")
    transport: Literal["tcp"] = Field(default="tcp", description="Network transport; only tcp.")
    tls: TLSServerSettings | None = Field(
        default=None, description="TLS (and with client_ca_file mutual TLS); unset = plaintext.")
    auth: AuthSettings | None = Field(
        default=None, description="Authenticator extension checking every call's metadata; "
                                  "refused calls get UNAUTHENTICATED.")
    max_recv_msg_size_mib: int = Field(
        default=DEFAULT_MAX_RECV_MSG_SIZE_MIB, ge=0,
        description="Largest request message accepted, in MiB; larger ones get "
                    "RESOURCE_EXHAUSTED (counted with reason too_large up to the gRPC "
                    "ceiling, max(2 x limit, limit + 4 MiB); grpc itself refuses larger ones). "
                    "0 = gRPC default (4).")
    max_concurrent_streams: int = Field(
        default=0, ge=0, le=2**32 - 1,
        description="Limit on concurrent streams (RPCs) per connection. 0 = unlimited.")
    # otelpy additions (configgrpc has no such keys): HTTP/2 abuse limits grpc enforces
    max_connections: int = Field(
        default=0, ge=0, le=2**31 - 1,
        description="otelpy addition: most open connections; grpc closes further ones at "
                    "once, before any HTTP/2 exchange (clients see UNAVAILABLE and retry). "
                    "These refusals are not counted: grpc makes them silently (no log, "
                    "channelz entry or metric). 0 = unlimited.")
    max_metadata_size: int = Field(
        default=0, ge=0, le=2**31 - 1,
        description="otelpy addition: largest request metadata (HTTP/2 header list) in bytes; "
                    "larger calls get RESOURCE_EXHAUSTED. 0 = gRPC default (8 KiB, calls "
                    "above it refused with rising probability up to 16 KiB).")
    read_buffer_size: int = Field(
        default=0, ge=0, description="Read chunk size of the transport in bytes. 0 = gRPC default.")
    write_buffer_size: int = Field(
        default=0, ge=0, description="HTTP/2 write buffer size in bytes. 0 = gRPC default.")
    keepalive: KeepaliveServerConfig | None = Field(
        default=None, description="Keepalive parameters and ping enforcement.")
    include_metadata: bool = Field(
        default=False, description="Carry each request's gRPC metadata (keys lowercased, "
                                   "binary -bin keys left out) with its data through the "
                                   "pipeline, for from_context, the routing connector's request "
                                   "context and the batch processor's metadata_keys.")

    @field_validator("tls")
    @classmethod
    def _grpc_tls(cls, value: TLSServerSettings | None) -> TLSServerSettings | None:
        check_grpc_tls(value)
        return value

    @property
    def max_recv_msg_size(self) -> int:
        """The message size limit in bytes."""
        return (self.max_recv_msg_size_mib or DEFAULT_MAX_RECV_MSG_SIZE_MIB) * MIB

    @property
    def grpc_message_ceiling(self) -> int:
        """The size above which grpc itself refuses a message, before any handler runs.

        Higher than :attr:`max_recv_msg_size` so that receivers see (and count) messages
        over the limit; bounded so that grpc never buffers an unbounded message.
        """
        limit = self.max_recv_msg_size
        return min(max(2 * limit, limit + 4 * MIB), 2**31 - 1)

    def grpc_options(self) -> list[tuple[str, Any]]:
        """Channel arguments for ``grpc.aio.server(options=...)``.

        SO_REUSEPORT is off so a taken port is an error, not a silently shared port.
        """
        opts: list[tuple[str, Any]] = [
            ("grpc.so_reuseport", 0),
            ("grpc.max_receive_message_length", self.grpc_message_ceiling),
        ]
        if self.max_concurrent_streams:
            opts.append(("grpc.max_concurrent_streams", self.max_concurrent_streams))
        if self.max_connections:
            opts.append(("grpc.max_allowed_incoming_connections", self.max_connections))
        if self.max_metadata_size:  # soft = hard: refused deterministically
            opts.append(("grpc.max_metadata_size", self.max_metadata_size))
            opts.append(("grpc.absolute_max_metadata_size", self.max_metadata_size))
        if self.read_buffer_size:
            opts.append(("grpc.experimental.tcp_read_chunk_size", self.read_buffer_size))
        if self.write_buffer_size:
            opts.append(("grpc.http2.write_buffer_size", self.write_buffer_size))
        opts.extend(self._keepalive_options())
        return grpc_channel_args(opts)

    def _keepalive_options(self) -> list[tuple[str, Any]]:
        ka = self.keepalive
        if ka is None:
            return []
        sp = ka.server_parameters or KeepaliveServerParameters()
        ep = ka.enforcement_policy or KeepaliveEnforcementPolicy()
        seconds = [
            ("grpc.max_connection_idle_ms", sp.max_connection_idle),
            ("grpc.max_connection_age_ms", sp.max_connection_age),
            ("grpc.max_connection_age_grace_ms", sp.max_connection_age_grace),
            ("grpc.keepalive_time_ms", sp.time),
            ("grpc.keepalive_timeout_ms", sp.timeout),
            ("grpc.http2.min_ping_interval_without_data_ms", ep.min_time),
        ]
        opts: list[tuple[str, Any]] = [(name, int(v * 1000)) for name, v in seconds if v]
        if ep.permit_without_stream:
            opts.append(("grpc.keepalive_permit_without_calls", 1))
        return opts


# -- HTTP ------------------------------------------------------------------------------
class CORSSettings(ConfigModel):
    """Cross-origin resource sharing for browser clients (confighttp's CORSConfig)."""

    allowed_origins: StringList = Field(
        default_factory=list,
        description="Origins allowed to send requests; one * wildcard per entry "
                    "(\"https://*.example.com\"), or \"*\" for any. Empty disables CORS.")
    allowed_headers: StringList = Field(
        default_factory=list,
        description="Request headers allowed besides Accept, Accept-Language, Content-Type "
                    "and Content-Language (and X-Requested-With when empty); \"*\" allows any.")
    max_age: int = Field(
        default=0, ge=0, description="Seconds a browser may cache a preflight answer "
                                     "(Access-Control-Max-Age). 0 = not sent.")


# confighttp's timeouts whose defaults differ between servers (the otlp receiver turns them off)
ReadHeaderTimeout = Annotated[Duration, Field(
    description="Time allowed to receive the request line and headers, from the connection's "
                "start (first request) or a request's first byte; slower clients get 408 and "
                "are disconnected. 0 = read_timeout, or no limit when that is 0 too.")]
WriteTimeout = Annotated[Duration, Field(
    description="Time allowed from the end of a request's headers until its response is "
                "written (Go's WriteTimeout): covers reading the body, the pipeline's "
                "answer and a client slow to read. Past it the connection is closed without "
                "an answer (counted with reason write_timeout); a request already handed to "
                "the pipeline is not withdrawn, so the client may retry it. 0 = no limit.")]
IdleTimeout = Annotated[Duration, Field(
    description="Close a keep-alive connection idle this long. 0 = read_timeout, or no limit "
                "when that is 0 too.")]


class HTTPServerSettings(_ServerSettings):
    """An HTTP server (the Collector's confighttp.ServerConfig)."""

    endpoint: str = Field(
        default="localhost:4318",
        description="host:port to listen on; \":4318\" listens on every interface, "
                    "\"localhost\" binds 127.0.0.1.")
    tls: TLSServerSettings | None = Field(
        default=None, description="TLS (and with client_ca_file mutual TLS); unset = plaintext.")
    auth: AuthSettings | None = Field(
        default=None, description="Authenticator extension checking every request's headers; "
                                  "refused requests get 401.")
    cors: CORSSettings | None = Field(default=None, description="CORS for browser clients.")
    max_request_body_size: int = Field(
        default=DEFAULT_MAX_REQUEST_BODY_SIZE, ge=0,
        description="Largest request body in bytes, checked both as received and after "
                    "decompression; larger bodies get 413. 0 = default (20 MiB).")
    include_metadata: bool = Field(
        default=False, description="Carry each request's HTTP headers (keys lowercased) with its "
                                   "data through the pipeline, for from_context, the routing "
                                   "connector's request context and the batch processor's "
                                   "metadata_keys.")
    read_timeout: Duration = Field(
        default=0.0, description="Longest time to receive a request body; slower requests get 408. "
                                 "Also the header deadline when read_header_timeout is 0. "
                                 "0 = no limit.")
    max_connections: int = Field(
        default=0, ge=0,
        description="otelpy addition: most open connections; a connection beyond it is "
                    "answered 503 with Retry-After and closed. 0 = unlimited.")
    read_header_timeout: ReadHeaderTimeout = 60.0
    write_timeout: WriteTimeout = 30.0
    idle_timeout: IdleTimeout = 60.0

    @property
    def body_limit(self) -> int:
        """The request body limit in bytes."""
        return self.max_request_body_size or DEFAULT_MAX_REQUEST_BODY_SIZE

    @property
    def keepalive_timeout(self) -> float | None:
        """Idle time before a keep-alive connection is closed; None = never."""
        return self.idle_timeout or self.read_timeout or None
