"""Enforcing a server authenticator on a transport: an aiohttp middleware and a grpc.aio
server interceptor around one :class:`AuthGate`.

A refused request gets HTTP 401 (with ``WWW-Authenticate`` when the authenticator
names a scheme) or gRPC UNAUTHENTICATED, with no detail about why. Each refusal is
counted in ``otelpy_<kind>_auth_failures_total{<kind>, transport}`` (``kind`` is
``receiver`` or ``extension``) and logged at DEBUG with the authenticator's reason,
which never holds the credential presented.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import grpc
from aiohttp import web

from otelpy.auth import ServerAuthenticator
from otelpy.component import Settings
from otelpy.errors import AuthError

__all__ = ["AuthGate", "METRIC_SUFFIX", "GrpcAuthInterceptor", "http_auth_middleware",
           "lower_headers"]

METRIC_SUFFIX = "auth_failures"
UNAUTHORIZED_TEXT = "401 Unauthorized"
UNAUTHENTICATED_TEXT = "unauthenticated"


def lower_headers(items: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Header pairs -> ``{lower-case name: first value}``; binary (bytes) values skipped."""
    out: dict[str, str] = {}
    for key, value in items:
        if isinstance(value, str):
            out.setdefault(key.lower(), value)
    return out


class AuthGate:
    """One authenticator on one transport of one component, with its failure counter."""

    def __init__(self, authenticator: ServerAuthenticator, settings: Settings,
                 transport: str) -> None:
        kind = settings.kind.value
        self._auth = authenticator
        self._logger = settings.logger
        self._transport = transport
        self._failures = settings.telemetry.counter(
            f"otelpy_{kind}_{METRIC_SUFFIX}",
            "Requests refused because authentication failed", [kind, "transport"],
        ).labels(str(settings.id), transport)

    async def check(self, headers: Mapping[str, str]) -> AuthError | None:
        """None when the request is authenticated, else the (counted) refusal."""
        try:
            await self._auth.authenticate(headers)
        except AuthError as exc:
            self._failures.inc()
            self._logger.debug("refused %s request: authentication failed (%s)",
                               self._transport, exc)
            return exc
        return None


_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def http_auth_middleware(gate: AuthGate) -> Callable[[web.Request, _Handler],
                                                    Awaitable[web.StreamResponse]]:
    """An aiohttp middleware answering 401 to requests ``gate`` refuses.

    CORS preflights (OPTIONS) pass: browsers never send credentials with them.
    """

    @web.middleware
    async def authenticate(request: web.Request, handler: _Handler) -> web.StreamResponse:
        if request.method == "OPTIONS":
            return await handler(request)
        refused = await gate.check(lower_headers(request.headers.items()))
        if refused is None:
            return await handler(request)
        resp = web.Response(status=401, text=UNAUTHORIZED_TEXT)
        if refused.challenge:
            resp.headers["WWW-Authenticate"] = refused.challenge
        if request.body_exists and not request.content.at_eof():
            resp.force_close()  # do not read a body we refuse
        return resp

    return authenticate


async def _deny(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    await context.abort(grpc.StatusCode.UNAUTHENTICATED, UNAUTHENTICATED_TEXT)
    return b""  # not reached: abort raises


_DENY: grpc.RpcMethodHandler[bytes, bytes] = grpc.unary_unary_rpc_method_handler(_deny)


class GrpcAuthInterceptor(grpc.aio.ServerInterceptor):
    """Answers UNAUTHENTICATED to calls whose metadata ``gate`` refuses."""

    def __init__(self, gate: AuthGate) -> None:
        self._gate = gate

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails],
                               Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        metadata = handler_call_details.invocation_metadata or ()
        refused = await self._gate.check(lower_headers(metadata))
        if refused is None:
            return await continuation(handler_call_details)
        return _DENY
