"""A server's or client's ``tls`` and ``auth`` turned into what its transport needs.

Servers call :func:`grpc_server_security` / :func:`http_server_security` in ``start``:
certificates are read in a worker thread, the authenticator extension is looked up on
the host. Clients call :func:`client_authenticator`. Every failure is a
ComponentStartError naming the YAML path (``where`` is the path of the settings
holding ``tls`` and ``auth``, e.g. ``protocols::grpc``; empty for top-level keys).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
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
    grpc_server_credentials,
    server_ssl_context,
    warn_if_unverified,
)

__all__ = ["GRPCServerSecurity", "HTTPServerSecurity", "client_authenticator",
           "grpc_client_credentials", "grpc_server_security", "http_client_ssl",
           "http_server_security"]


def _path(where: str, key: str) -> str:
    return f"{where}::{key}" if where else key


@dataclass(frozen=True)
class GRPCServerSecurity:
    """Credentials for ``add_secure_port`` (None = plaintext) and interceptors."""

    credentials: grpc.ServerCredentials | None = None
    interceptors: tuple[grpc.aio.ServerInterceptor, ...] = ()


@dataclass(frozen=True)
class HTTPServerSecurity:
    """The SSLContext for the site (None = plaintext) and middlewares for the app."""

    ssl_context: ssl.SSLContext | None = None
    middlewares: tuple[Callable[..., Any], ...] = field(default=())


async def grpc_server_security(tls: TLSServerSettings | None, auth: AuthSettings | None,
                               host: Host | None, settings: Settings,
                               where: str) -> GRPCServerSecurity:
    """TLS credentials and the auth interceptor of a gRPC server."""
    credentials = None
    if tls is not None:
        credentials = await asyncio.to_thread(grpc_server_credentials, tls,
                                              _path(where, "tls"))
    interceptors: tuple[grpc.aio.ServerInterceptor, ...] = ()
    if auth is not None:
        authenticator = resolve_server(host, auth, _path(where, "auth"))
        interceptors = (GrpcAuthInterceptor(AuthGate(authenticator, settings, "grpc")),)
    return GRPCServerSecurity(credentials, interceptors)


async def http_server_security(tls: TLSServerSettings | None, auth: AuthSettings | None,
                               host: Host | None, settings: Settings,
                               where: str) -> HTTPServerSecurity:
    """The SSLContext and the auth middleware of an HTTP server."""
    context = None
    if tls is not None:
        context = await asyncio.to_thread(server_ssl_context, tls, _path(where, "tls"))
    middlewares: tuple[Callable[..., Any], ...] = ()
    if auth is not None:
        authenticator = resolve_server(host, auth, _path(where, "auth"))
        middlewares = (http_auth_middleware(AuthGate(authenticator, settings, "http")),)
    return HTTPServerSecurity(context, middlewares)


async def grpc_client_credentials(tls: TLSClientSettings, logger: logging.Logger,
                                  where: str = "") -> grpc.ChannelCredentials:
    """Channel credentials of a TLS gRPC client (read in a worker thread)."""
    warn_if_unverified(tls, logger, _path(where, "tls"))
    return await asyncio.to_thread(grpc_channel_credentials, tls, _path(where, "tls"))


async def http_client_ssl(tls: TLSClientSettings, logger: logging.Logger,
                          where: str = "") -> ssl.SSLContext:
    """The SSLContext of an HTTPS client (read in a worker thread)."""
    warn_if_unverified(tls, logger, _path(where, "tls"))
    return await asyncio.to_thread(client_ssl_context, tls, _path(where, "tls"))


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
