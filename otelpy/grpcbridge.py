"""A private TLS bridge for gRPC clients that must not verify the server
(``tls.insecure_skip_verify: true``).

Why it exists: grpcio has no way to skip certificate verification (its TLS is BoringSSL
inside grpc core, configured only with trusted roots). Pinning the server's current
leaf certificate as a root is unsound: a rotated certificate, or another backend behind
the same name, breaks it. So the channel speaks plaintext HTTP/2 (h2c) to this bridge,
which listens on a Unix domain socket in a fresh private directory (mode 0700), and the
bridge carries each connection's bytes over its own TLS connection to the real endpoint,
made with Python's :mod:`ssl` from the same settings an HTTPS client uses
(:func:`otelpy.tlsbuild.client_ssl_context`: no verification, the client certificate for
mutual TLS, min/max version, cipher suites, ``server_name_override`` as SNI), offering
ALPN ``h2``. gRPC sees end-to-end HTTP/2; the channel options from
:meth:`GrpcTLSBridge.channel_options` make its ``:authority`` the real ``host:port`` (or
``server_name_override``) and its ``:scheme`` ``https``, as on a direct TLS channel.

Promises:

* One TLS connection per connection the channel opens; each takes the SSLContext current
  at that moment, so ``reload_interval`` reaches new connections (``on_change`` is told).
* Connecting (DNS, TCP, TLS handshake) is bounded by ``connect_timeout``. A failure is
  logged (WARNING, throttled) and the channel's connection is closed, so its calls fail
  with UNAVAILABLE, which exporters retry.
* When either side closes, the other is closed after what it already received is
  written. A full write buffer on one side pauses reading on the other (backpressure).
* :meth:`GrpcTLSBridge.stop` closes the listener, drops every bridged connection and
  removes the directory; it is idempotent and safe without start.

Limits: grpc's load balancer sees one address (the socket); the bridge resolves the host
at every new connection and tries its addresses in order, so one connection reaches one
backend. Processes of the same user can open the socket (and so connect with this
client's certificate); they could read its key file anyway.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import shutil
import ssl
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

from otelpy.component import Settings
from otelpy.config.tls import TLSClientSettings
from otelpy.errors import ComponentStartError
from otelpy.exporterhelper.logthrottle import ThrottledLog
from otelpy.tlsbuild import client_ssl_context, warn_if_unverified
from otelpy.tlsreload import TLSReloader

__all__ = ["BridgeTarget", "GrpcTLSBridge", "parse_target", "CONNECT_TIMEOUT"]

CONNECT_TIMEOUT = 10.0  # seconds for DNS + TCP + TLS handshake of one bridged connection
_SSL_SHUTDOWN_TIMEOUT = 5.0  # a closing TLS side waits this long for the server's close_notify
_DNS_PREFIXES = ("dns:///", "dns:")
_DEFAULT_PORT = 443  # grpc's default for a target without a port


@dataclass(frozen=True)
class BridgeTarget:
    """Where the bridge connects: a host name or IP address, and a port."""

    host: str
    port: int

    @property
    def authority(self) -> str:
        """``host:port`` as an HTTP/2 :authority (IPv6 addresses in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_target(target: str) -> BridgeTarget:
    """``host:port``, ``[v6]:port`` or ``dns:///host:port`` (port 443 when missing).

    Raises ValueError for other gRPC target forms (``unix:``, ``ipv4:`` lists, ``xds:``,
    ``dns://authority/...``): the bridge connects to one host and port.
    """
    problem = ValueError(f"{target!r} is not host:port (with tls::insecure_skip_verify the "
                         "endpoint must be host:port, [ipv6]:port or dns:///host:port)")
    rest = target
    for prefix in _DNS_PREFIXES:
        if rest.startswith(prefix):
            rest = rest[len(prefix):]
            break
    if rest.startswith("["):
        host, sep, tail = rest[1:].partition("]")
        if not sep or (tail and not tail.startswith(":")):
            raise problem
        port_text = tail[1:]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise problem from None
    else:
        host, _, port_text = rest.rpartition(":") if ":" in rest else (rest, "", "")
        if ":" in host:
            raise problem
    if not host or "/" in rest or not (port_text.isdigit() or not port_text):
        raise problem
    port = int(port_text) if port_text else _DEFAULT_PORT
    if not 0 < port < 65536:
        raise ValueError(f"{target!r}: port {port} is out of range")
    return BridgeTarget(host, port)


def h2_client_context(tls: TLSClientSettings, where: str) -> ssl.SSLContext:
    """:func:`client_ssl_context` offering ALPN ``h2`` (gRPC servers may require it).
    Raises TLSSetupError."""
    ctx = client_ssl_context(tls, where)
    ctx.set_alpn_protocols(["h2"])
    return ctx


class _Side(asyncio.Protocol):
    """One side of a bridged connection: what it receives is written to the other side."""

    def __init__(self, conn: _Connection) -> None:
        self.conn = conn
        self.transport: asyncio.Transport | None = None
        self.peer: _Side | None = None
        self.lost = False
        self.early: list[bytes] = []  # received before the peer was connected

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.conn.side_made(self)

    def data_received(self, data: bytes) -> None:
        peer = self.peer
        if peer is None:  # (uvloop starts reading after connection_made)
            self.early.append(data)
            self.reading(False)
        elif peer.transport is not None and not peer.lost:
            peer.transport.write(data)

    def eof_received(self) -> bool:
        return False  # close this side; connection_lost closes the other

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.conn.side_lost(self, exc)

    def pause_writing(self) -> None:
        if self.peer is not None:
            self.peer.reading(False)

    def resume_writing(self) -> None:
        if self.peer is not None:
            self.peer.reading(True)

    def reading(self, on: bool) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if on:
            transport.resume_reading()
        else:
            transport.pause_reading()

    def close(self) -> None:
        if self.transport is not None and not self.lost:
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None and not self.lost:
            self.transport.abort()


class _Connection:
    """A channel connection (``inner``, on the socket) and its TLS connection (``outer``,
    None until connected)."""

    def __init__(self, bridge: GrpcTLSBridge) -> None:
        self.bridge = bridge
        self.inner = _Side(self)
        self.outer: _Side | None = None
        self.connecting: asyncio.Task[None] | None = None

    def sides(self) -> tuple[_Side, ...]:
        return (self.inner,) if self.outer is None else (self.inner, self.outer)

    def side_made(self, side: _Side) -> None:
        if side is self.inner:
            side.reading(False)  # until the TLS side is connected
            self.bridge._accepted(self)
        else:  # the handshake is done; data may arrive before create_connection returns
            self.link(side)

    def side_lost(self, side: _Side, exc: Exception | None) -> None:
        if (side is not self.inner and exc is not None and not self.inner.lost
                and self.bridge.listening):
            # the server's side broke (not a close we started: that may end with
            # "application data after close notify", which is no news)
            self.bridge._log.log("%s: TLS connection to %s closed: %s", self.bridge.where,
                                 self.bridge.remote.authority, _describe(exc))
        for other in self.sides():
            if other is not side:
                other.close()
        if self.outer is None and self.connecting is not None:
            self.connecting.cancel()  # the channel gave up before the TLS side was up
        if all(s.lost for s in self.sides()):
            self.bridge._forget(self)

    def link(self, outer: _Side) -> None:
        """The TLS side is connected: bytes flow both ways (or it is closed at once when
        the channel side is already gone)."""
        self.outer = outer
        outer.peer, self.inner.peer = self.inner, outer
        if self.inner.lost:
            outer.close()
            return
        early, self.inner.early = self.inner.early, []
        if early and outer.transport is not None:
            outer.transport.write(b"".join(early))
        self.inner.reading(True)

    def close(self) -> None:
        for side in self.sides():
            side.close()

    def abort(self) -> None:
        for side in self.sides():
            side.abort()


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, OSError) else f"{type(exc).__name__}: {text}"


class GrpcTLSBridge:
    """A Unix socket a grpc channel connects to in plaintext, bridged to ``remote`` over
    TLS with ``tls`` (see the module docstring).

    ``where`` is the YAML path of the settings holding ``tls`` (empty at the top level);
    ``on_change`` gets each reloaded SSLContext (``tls::reload_interval``).
    """

    def __init__(self, remote: BridgeTarget, tls: TLSClientSettings, settings: Settings,
                 where: str = "", connect_timeout: float = CONNECT_TIMEOUT,
                 on_change: Callable[[ssl.SSLContext], Awaitable[None] | None] | None = None
                 ) -> None:
        self.remote = remote
        self.tls = tls
        self.where = f"{where}::tls" if where else "tls"
        self.connect_timeout = connect_timeout
        self._settings = settings
        self._on_change = on_change
        self._log = ThrottledLog(settings.logger, logging.WARNING)
        self._reloader: TLSReloader[ssl.SSLContext] | None = None
        self._server: asyncio.AbstractServer | None = None
        self._directory: str | None = None
        self._connections: set[_Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def socket_path(self) -> str:
        """The Unix socket's path (RuntimeError before :meth:`start`)."""
        if self._directory is None:
            raise RuntimeError("the gRPC TLS bridge is not started")
        return os.path.join(self._directory, "grpc.sock")

    @property
    def target(self) -> str:
        """The grpc target of the socket (``unix:/path``)."""
        return f"unix:{self.socket_path}"

    @property
    def directory(self) -> str | None:
        """The private directory holding the socket (None when not started)."""
        return self._directory

    @property
    def listening(self) -> bool:
        """True from :meth:`start` to :meth:`stop`."""
        return self._server is not None

    def channel_options(self, options: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        """``options`` of a TLS channel, adapted to a channel connecting to the bridge:
        the :authority the server expects (unless ``grpc.default_authority`` is set),
        ``:scheme: https``, and a subchannel pool of its own (a new channel opens a new
        connection, hence takes the current SSLContext)."""
        kept = [(k, v) for k, v in options if k != "grpc.ssl_target_name_override"]
        if not any(k == "grpc.default_authority" for k, _ in kept):
            authority = self.tls.server_name_override or self.remote.authority
            kept.append(("grpc.default_authority", authority))
        return [*kept, ("grpc.http2_scheme", "https"), ("grpc.use_local_subchannel_pool", 1)]

    async def start(self) -> str:
        """Load the TLS material (TLSSetupError naming the key), log the unverified-TLS
        WARNING and listen; returns :attr:`target`. ComponentStartError when the socket
        cannot be made."""
        if self._server is not None:
            return self.target
        warn_if_unverified(self.tls, self._settings.logger, self.where)
        reloader = TLSReloader(self.tls, partial(h2_client_context, self.tls, self.where),
                               self._settings, self.where, self._on_change)
        await reloader.start()
        self._reloader = reloader
        try:
            self._directory = tempfile.mkdtemp(prefix="otelpy-grpc-tls-")  # mode 0700
            self._server = await asyncio.get_running_loop().create_unix_server(
                lambda: _Connection(self).inner, self.socket_path)
        except OSError as exc:
            await self.stop()
            raise ComponentStartError(f"{self.where}: cannot make the private socket of "
                                      f"the TLS bridge in {tempfile.gettempdir()!r} (TMPDIR): "
                                      f"{_describe(exc)}") from None
        return self.target

    async def stop(self) -> None:
        """Stop listening, drop every bridged connection (call it once the channel is
        closed), stop watching files, remove the directory."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        tasks, self._tasks = list(self._tasks), set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # the channel is closed by now: no close_notify dance (grpc servers do not answer
        # it, so a graceful TLS close would wait for _SSL_SHUTDOWN_TIMEOUT)
        for conn in list(self._connections):
            conn.abort()
        self._connections.clear()
        if self._reloader is not None:
            await self._reloader.stop()
        directory, self._directory = self._directory, None
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)

    def _accepted(self, conn: _Connection) -> None:
        self._connections.add(conn)
        task = asyncio.get_running_loop().create_task(self._connect(conn))
        conn.connecting = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _forget(self, conn: _Connection) -> None:
        self._connections.discard(conn)

    async def _connect(self, conn: _Connection) -> None:
        """Open the TLS side of ``conn``; on failure log (throttled) and close it."""
        if self._reloader is None:  # stopped meanwhile
            conn.close()
            return
        ctx = self._reloader.current
        remote, loop = self.remote, asyncio.get_running_loop()
        outer = _Side(conn)
        try:
            async with asyncio.timeout(self.connect_timeout):
                await loop.create_connection(
                    lambda: outer, remote.host, remote.port, ssl=ctx,
                    server_hostname=self.tls.server_name_override or remote.host,
                    ssl_handshake_timeout=self.connect_timeout,
                    ssl_shutdown_timeout=_SSL_SHUTDOWN_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            why = f"no answer within {self.connect_timeout:g}s" if isinstance(
                exc, TimeoutError) else _describe(exc)
            self._log.log("%s: cannot connect to %s over TLS: %s", self.where,
                          remote.authority, why)
            conn.close()
