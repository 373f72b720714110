"""Connection limits of the HTTP protocol: ``max_connections``, the header read deadline
and the write deadline.

aiohttp has none of them, so every connection's protocol is wrapped by a
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
* **write_timeout** (Go's ``http.Server.WriteTimeout``): from the end of a request's
  headers until its response is written out (handed to the kernel, as Go's write
  deadline measures it). Past it the connection is aborted without an answer (Go closes
  it too), counted (reason ``write_timeout``) and logged at WARNING at most once per
  :data:`WRITE_TIMEOUT_LOG_INTERVAL`. Two things make it pass: the pipeline holding the
  request (backpressure) or a client that does not read its responses. Unlike Go, which
  notices only at its next write, the connection is closed at the deadline itself. The
  request handler is never cancelled (``handler_cancellation`` stays off): what it hands
  to the pipeline is handed over whole, and the client, having no answer, may retry.

"Headers complete" is learnt from :attr:`ConnectionGuard.middleware`, which aiohttp runs
once it has parsed a request's headers, in the task that handles the request and then
writes its response; it must be the application's first middleware.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from otelpy.config.server import HTTPServerSettings
from otelpy.exporterhelper.logthrottle import ThrottledLog
from otelpy.receivers.otlp.malformed import (
    HEADER_TIMEOUT,
    TOO_MANY_CONNECTIONS,
    WRITE_TIMEOUT,
    MalformedRequests,
)

__all__ = ["ConnectionGuard", "GuardedAppRunner", "GuardedProtocol"]

RETRY_AFTER_SECONDS = 1
WRITE_TIMEOUT_LOG_INTERVAL = 10.0  # seconds between two WARNING lines about write_timeout


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
        self.write_timeout = cfg.write_timeout
        self.malformed = malformed
        self.write_log = ThrottledLog(malformed.logger, logging.WARNING,
                                      WRITE_TIMEOUT_LOG_INTERVAL)
        self.open = 0  # connections accepted and not yet closed (refused ones included)
        self._by_handler: dict[RequestHandler, GuardedProtocol] = {}

    @property
    def active(self) -> bool:
        """Whether any limit is set (otherwise connections are not wrapped at all)."""
        return bool(self.max_connections or self.watches_requests)

    @property
    def watches_requests(self) -> bool:
        """Whether a deadline needs to know when each request's headers are in."""
        return bool(self.header_timeout or self.write_timeout)

    @property
    def middlewares(self) -> list[Any]:
        """Middlewares to put first in the application (empty when nothing needs them)."""
        return [self.middleware] if self.watches_requests else []

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
    """One connection: aiohttp's protocol behind the connection limit and the deadlines."""

    def __init__(self, make_inner: Callable[[], RequestHandler], guard: ConnectionGuard) -> None:
        self._make_inner = make_inner
        self._guard = guard
        self._inner: RequestHandler | None = None
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None  # the header deadline
        self._idle = False  # between requests: the next byte starts a header deadline
        self._got_bytes = False  # bytes of the current request have arrived
        self._write_timer: asyncio.TimerHandle | None = None  # the write deadline
        self._responding: asyncio.Task[Any] | None = None  # handles the request, writes its answer

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
        if guard.watches_requests:
            guard.register(inner, self)
        if guard.header_timeout:
            self._arm()
        inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        inner = self._inner
        if inner is None:
            return
        if self._idle:
            self._idle = False
            if self._guard.header_timeout:
                self._arm()
        self._got_bytes = True
        inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def connection_lost(self, exc: Exception | None) -> None:
        self._guard.open -= 1
        self._disarm()
        self._disarm_write()
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

    # -- called by the middleware ----------------------------------------------------------
    def headers_received(self) -> None:
        """A request's headers are in; runs in the task handling (and answering) it."""
        self._disarm()
        if self._guard.write_timeout:
            self._arm_write(asyncio.current_task())

    def request_done(self) -> None:
        self._idle = True
        self._got_bytes = False

    # -- the header deadline -------------------------------------------------------------
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

    # -- the write deadline --------------------------------------------------------------
    def _arm_write(self, task: asyncio.Task[Any] | None) -> None:
        self._disarm_write()
        loop = asyncio.get_running_loop()
        self._write_timer = loop.call_later(self._guard.write_timeout, self._write_timeout)
        self._responding = task
        if task is not None:
            task.add_done_callback(self._response_finished)

    def _disarm_write(self) -> None:
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None
        self._responding = None

    def _unsent(self) -> int:
        """Bytes of answers still waiting for the client to take them."""
        transport = self._transport
        return transport.get_write_buffer_size() if transport is not None else 0

    def _response_finished(self, task: asyncio.Task[Any]) -> None:
        """The answer is written: the deadline is met unless bytes of it are still queued
        (a client not reading); then the timer decides."""
        if task is self._responding and not self._unsent():
            self._disarm_write()

    def _write_timeout(self) -> None:
        self._write_timer = None
        task, self._responding = self._responding, None
        transport = self._transport
        if transport is None or self._inner is None:
            return
        unsent = self._unsent()
        if not unsent and (task is None or task.done()):
            return  # written in time, the client just had not been looked at yet
        if unsent:
            why = f"the client is not reading it ({unsent} bytes unsent)"
        else:
            why = "the request is still in the pipeline (backpressure)"
        timeout = self._guard.write_timeout
        self._guard.malformed.record("http", WRITE_TIMEOUT,
                                     f"response not written within {timeout}s: {why}")
        self._guard.write_log.log(
            "closed an HTTP connection whose response was not written within "
            "write_timeout (%ss): %s; a request still in the pipeline keeps going, the "
            "client may retry it", timeout, why)
        transport.abort()


class GuardedAppRunner(web.AppRunner):
    """An AppRunner whose sites accept connections through a :class:`ConnectionGuard`.

    Request handlers are never cancelled when their connection is lost (aiohttp's
    ``handler_cancellation`` is off): a request that reached the pipeline is handed over
    whole even when its connection is closed by a deadline or by the client.
    """

    def __init__(self, guard: ConnectionGuard, app: web.Application, **kwargs: Any) -> None:
        super().__init__(app, handler_cancellation=False, **kwargs)
        self._guard = guard

    @property
    def server(self) -> Any:
        """What sites pass to ``loop.create_server``: guarded protocols around aiohttp's."""
        inner = super().server
        if inner is None or not self._guard.active:
            return inner
        return self._guard.factory(inner)
