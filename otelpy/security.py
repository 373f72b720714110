"""A server's or client's ``tls`` and ``auth`` turned into what its transport needs.

Servers call :func:`grpc_server_security` / :func:`http_server_security` in ``start``:
certificates are read in a worker thread, the authenticator extension is looked up on
the host; the result's ``close()`` belongs in the server's shutdown (it stops watching
certificate files, see :mod:`otelpy.tlsreload`). Clients call
:func:`client_authenticator`, and :func:`http_client_tls` / :func:`grpc_client_tls` for
TLS material that follows ``reload_interval`` (``stop()`` it on shutdown). Every failure
is a ComponentStartError naming the YAML path (``where`` is the path of the settings
holding ``tls`` and ``auth``, e.g. ``protocols::grpc``; empty for top-level keys).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import grpc

from otelpy.auth import ClientAuthenticator, resolve_client, resolve_server
from otelpy.auth.server import AuthGate, GrpcAuthInterceptor, http_auth_middleware
from otelpy.component import Host, Settings
from otelpy.config.auth import AuthSettings
from otelpy.config.tls import TLSClientSettings, TLSServerSettings
from otelpy.tlsbuild import (
    client_ssl_context,
    grpc_channel_credentials,
    grpc_server_certificates,
    grpc_server_credentials,
    server_ssl_context,
    warn_if_unverified,
)
from otelpy.tlsreload import TLSReloader, dynamic_server_credentials, following_server_context

__all__ = ["GRPCServerSecurity", "HTTPServerSecurity", "client_authenticator",
           "grpc_client_tls", "grpc_server_security",
           "http_client_tls", "http_server_security"]


def _path(where: str, key: str) -> str:
    return f"{where}::{key}" if where else key


@dataclass(frozen=True)
class GRPCServerSecurity:
    """Credentials for ``add_secure_port`` (None = plaintext) and interceptors."""

    credentials: grpc.ServerCredentials | None = None
    interceptors: tuple[grpc.aio.ServerInterceptor, ...] = ()
    tls: TLSReloader[Any] | None = None

    async def close(self) -> None:
        """Stop watching certificate files; idempotent."""
        if self.tls is not None:
            await self.tls.stop()


@dataclass(frozen=True)
class HTTPServerSecurity:
    """The SSLContext for the site (None = plaintext) and middlewares for the app."""

    ssl_context: ssl.SSLContext | None = None
    middlewares: tuple[Callable[..., Any], ...] = field(default=())
    tls: TLSReloader[Any] | None = None

    async def close(self) -> None:
        """Stop watching certificate files; idempotent."""
        if self.tls is not None:
            await self.tls.stop()


async def _grpc_server_tls(tls: TLSServerSettings, settings: Settings, where: str
                           ) -> tuple[grpc.ServerCredentials, TLSReloader[Any] | None]:
    if not tls.reload_files():
        return await asyncio.to_thread(grpc_server_credentials, tls, where), None
    reloader = TLSReloader(tls, partial(grpc_server_certificates, tls, where), settings,
                           where)
    await reloader.start()
    return dynamic_server_credentials(reloader, bool(tls.client_ca_file)), reloader


async def _auth_gate(host: Host | None, auth: AuthSettings, settings: Settings, where: str,
                     transport: str, reloader: TLSReloader[Any] | None) -> AuthGate:
    """The server authenticator ``auth`` names; stops ``reloader`` if it cannot be found."""
    try:
        authenticator = resolve_server(host, auth, _path(where, "auth"))
    except BaseException:
        if reloader is not None:
            await reloader.stop()
        raise
    return AuthGate(authenticator, settings, transport)


async def grpc_server_security(tls: TLSServerSettings | None, auth: AuthSettings | None,
                               host: Host | None, settings: Settings,
                               where: str) -> GRPCServerSecurity:
    """TLS credentials (following ``reload_interval``) and the auth interceptor of a
    gRPC server."""
    credentials, reloader = None, None
    if tls is not None:
        credentials, reloader = await _grpc_server_tls(tls, settings, _path(where, "tls"))
    interceptors: tuple[grpc.aio.ServerInterceptor, ...] = ()
    if auth is not None:
        gate = await _auth_gate(host, auth, settings, where, "grpc", reloader)
        interceptors = (GrpcAuthInterceptor(gate),)
    return GRPCServerSecurity(credentials, interceptors, reloader)


async def http_server_security(tls: TLSServerSettings | None, auth: AuthSettings | None,
                               host: Host | None, settings: Settings,
                               where: str) -> HTTPServerSecurity:
    """The SSLContext (following ``reload_interval``) and the auth middleware of an
    HTTP server."""
    context, reloader = None, None
    if tls is not None:
        path = _path(where, "tls")
        reloader = TLSReloader(tls, partial(server_ssl_context, tls, path), settings, path)
        await reloader.start()
        context = following_server_context(reloader)
    middlewares: tuple[Callable[..., Any], ...] = ()
    if auth is not None:
        gate = await _auth_gate(host, auth, settings, where, "http", reloader)
        middlewares = (http_auth_middleware(gate),)
    return HTTPServerSecurity(context, middlewares, reloader)


async def http_client_tls(tls: TLSClientSettings, settings: Settings, where: str = "",
                          on_change: Callable[[ssl.SSLContext], None] | None = None
                          ) -> TLSReloader[ssl.SSLContext]:
    """The SSLContext of an HTTPS client, started (read in a worker thread): ``current``
    is the context for new connections, renewed as ``reload_interval`` says."""
    path = _path(where, "tls")
    warn_if_unverified(tls, settings.logger, path)
    reloader = TLSReloader(tls, partial(client_ssl_context, tls, path), settings, path,
                           on_change)
    await reloader.start()
    return reloader


async def grpc_client_tls(
        tls: TLSClientSettings, settings: Settings, where: str = "",
        on_change: Callable[[grpc.ChannelCredentials], Awaitable[None] | None] | None = None,
) -> TLSReloader[grpc.ChannelCredentials]:
    """Channel credentials of a TLS gRPC client, started (read in a worker thread);
    ``on_change`` gets new credentials as ``reload_interval`` says."""
    path = _path(where, "tls")
    warn_if_unverified(tls, settings.logger, path)
    reloader = TLSReloader(tls, partial(grpc_channel_credentials, tls, path), settings,
                           path, on_change)
    await reloader.start()
    return reloader


def client_authenticator(auth: AuthSettings | None, host: Host | None,
                         logger: logging.Logger, plaintext: bool,
                         where: str = "") -> ClientAuthenticator | None:
    """The client authenticator ``auth`` names (None without ``auth``); warns once when
    its credentials will travel over a plaintext connection."""
    if auth is None:
        return None
    authenticator = resolve_client(host, auth, _path(where, "auth"))
    if plaintext:
        logger.warning("%s: credentials from %s are sent over a plaintext (non-TLS) "
                       "connection", _path(where, "auth"), auth.authenticator)
    return authenticator
