"""Connection limits of the HTTP protocol: ``max_connections`` and the header read deadline.

aiohttp has neither, so every connection's protocol is wrapped by a
:class:`GuardedProtocol` (:class:`GuardedAppRunner` hands sites a factory of them; TLS
is unaffected, it sits below the protocol):

* **max_connections**: a connection beyond the limit is answered ``503 Service
  Unavailable`` with ``Retry-After`` and ``Connection: close`` at once, without reading its
  request, then closed (counted, reason ``too_many_connections``). The client may see the
  503 or, if it was still sending, a reset; both are retryable for OTLP exporters.
* **read_header_timeout** (or ``read_timeout`` when it is 0, as Go's net/http does): the
  request line and headers must arrive within it, counted from the connection's start for
  the first request and from the first byte of each later one. A client too slow gets
  ``408 Request Timeout`` (or, if it sent nothing, just the close) and is counted (reason
  ``read_header_timeout``). The body has its own deadline, ``read_timeout``, enforced by
  the request handler (408, reason ``read_timeout``).

"Headers complete" is learnt from :attr:`ConnectionGuard.middleware`, which aiohttp runs
once it has parsed a request's headers; it must be the application's first middleware.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from otelpy.config.server import HTTPServerSettings
from otelpy.receivers.otlp.malformed import HEADER_TIMEOUT, TOO_MANY_CONNECTIONS, MalformedRequests

__all__ = ["ConnectionGuard", "GuardedAppRunner", "GuardedProtocol"]

RETRY_AFTER_SECONDS = 1


def _plain_response(status: str, text: str, extra: str = "") -> bytes:
    body = text.encode()
    return (f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n").encode() + body


_TOO_MANY = _plain_response("503 Service Unavailable", "too many connections, retry later\n",
                            f"Retry-After: {RETRY_AFTER_SECONDS}\r\n")
_HEADER_TIMEOUT = _plain_response("408 Request Timeout", "request headers not received in time\n")

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ConnectionGuard:
    """The limits of one HTTP server and the connections it currently has open."""

    def __init__(self, cfg: HTTPServerSettings, malformed: MalformedRequests) -> None:
        self.max_connections = cfg.max_connections
        self.header_timeout = cfg.read_header_timeout or cfg.read_timeout
        self.malformed = malformed
        self.open = 0  # connections accepted and not yet closed (refused ones included)
        self._by_handler: dict[RequestHandler, GuardedProtocol] = {}

    @property
    def active(self) -> bool:
        """Whether any limit is set (otherwise connections are not wrapped at all)."""
        return bool(self.max_connections or self.header_timeout)

    @property
    def middlewares(self) -> list[Any]:
        """Middlewares to put first in the application (empty when nothing needs them)."""
        return [self.middleware] if self.header_timeout else []

    @web.middleware
    async def middleware(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        """Tells the connection its request's headers are in, and when the request is done."""
        guarded = self._by_handler.get(request.protocol)
        if guarded is None:
            return await handler(request)
        guarded.headers_received()
        try:
            return await handler(request)
        finally:
            guarded.request_done()

    def factory(self, make_inner: Callable[[], RequestHandler]) -> Callable[[], GuardedProtocol]:
        """A protocol factory for ``loop.create_server`` wrapping ``make_inner``'s protocols."""
        return lambda: GuardedProtocol(make_inner, self)

    def register(self, inner: RequestHandler, guarded: GuardedProtocol) -> None:
        self._by_handler[inner] = guarded

    def unregister(self, inner: RequestHandler) -> None:
        self._by_handler.pop(inner, None)


class GuardedProtocol(asyncio.Protocol):
    """One connection: aiohttp's protocol behind the connection limit and header deadline."""

    def __init__(self, make_inner: Callable[[], RequestHandler], guard: ConnectionGuard) -> None:
        self._make_inner = make_inner
        self._guard = guard
        self._inner: RequestHandler | None = None
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._idle = False  # between requests: the next byte starts a header deadline
        self._got_bytes = False  # bytes of the current request have arrived

    # -- asyncio.Protocol ------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        guard = self._guard
        guard.open += 1
        self._transport = transport = cast(asyncio.Transport, transport)  # uvloop's is not one
        if guard.max_connections and guard.open > guard.max_connections:
            guard.malformed.record("http", TOO_MANY_CONNECTIONS,
                                   f"{guard.open} open connections, limit "
                                   f"{guard.max_connections}")
            transport.write(_TOO_MANY)
            transport.close()
            return
        inner = self._inner = self._make_inner()
        if guard.header_timeout:
            guard.register(inner, self)
            self._arm()
        inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        inner = self._inner
        if inner is None:
            return
        if self._idle:
            self._idle = False
            self._arm()
        self._got_bytes = True
        inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def connection_lost(self, exc: Exception | None) -> None:
        self._guard.open -= 1
        self._disarm()
        inner, self._inner = self._inner, None
        if inner is not None:
            self._guard.unregister(inner)
            inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    # -- the header deadline -------------------------------------------------------------
    def headers_received(self) -> None:
        self._disarm()

    def request_done(self) -> None:
        self._idle = True
        self._got_bytes = False

    def _arm(self) -> None:
        self._disarm()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._guard.header_timeout, self._header_timeout)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _header_timeout(self) -> None:
        self._timer = None
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        self._guard.malformed.record(
            "http", HEADER_TIMEOUT,
            f"request headers not complete within {self._guard.header_timeout}s")
        if self._got_bytes:
            transport.write(_HEADER_TIMEOUT)
        transport.close()


class GuardedAppRunner(web.AppRunner):
    """An AppRunner whose sites accept connections through a :class:`ConnectionGuard`."""

    def __init__(self, guard: ConnectionGuard, app: web.Application, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._guard = guard

    @property
    def server(self) -> Any:
        """What sites pass to ``loop.create_server``: guarded protocols around aiohttp's."""
        inner = super().server
        if inner is None or not self._guard.active:
            return inner
        return self._guard.factory(inner)
