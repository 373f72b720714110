"""OTLP over HTTP: POST protobuf or JSON to one path per signal, on an aiohttp server.

Bodies are bounded twice: as received (``client_max_size``) and once decompressed
(see :mod:`otelpy.receivers.otlp.body`). Answers carry the request's content type;
errors carry a ``google.rpc.Status``, as the Collector does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from aiohttp import web
from google.protobuf.message import Message

from otelpy.component import Signal
from otelpy.config.server import Endpoint, HTTPServerSettings
from otelpy.consumer import Consumer
from otelpy.errors import ComponentStartError, PermanentError, RetryableError
from otelpy.pdata import Batch, ClientMetadata, otlpjson, rpcstatus
from otelpy.receivers.otlp import malformed as why
from otelpy.receivers.otlp.body import BadEncoding, BodyTooLarge, decode_body
from otelpy.receivers.otlp.cors import CORS
from otelpy.receivers.otlp.grpc_server import consume_method
from otelpy.receivers.otlp.limits import ConnectionGuard, GuardedAppRunner
from otelpy.security import HTTPServerSecurity

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_INLINE_DECODE_LIMIT = 64 * 1024  # larger JSON bodies are decoded in a worker thread
_NO_IDLE_LIMIT = 10 * 365 * 86400.0  # aiohttp closes at once with 0; "no limit" is far away


def _decode_protobuf(signal: Signal, body: bytes) -> tuple[Batch, int, str]:
    return Batch.from_bytes(signal, body), 0, ""


def _decode_json(signal: Signal, body: bytes) -> tuple[Batch, int, str]:
    decoded = otlpjson.decode_partial(signal, body)
    return Batch.from_message(signal, decoded.message), decoded.rejected, decoded.error_message


def _encode_protobuf(message: Message) -> bytes:
    return message.SerializeToString()


@dataclass(frozen=True)
class _Codec:
    content_type: str
    malformed_reason: str
    decode: Callable[[Signal, bytes], tuple[Batch, int, str]]
    encode: Callable[[Message], bytes]


_CODECS = {
    PROTOBUF: _Codec(PROTOBUF, why.MALFORMED_PROTOBUF, _decode_protobuf, _encode_protobuf),
    JSON: _Codec(JSON, why.MALFORMED_JSON, _decode_json, otlpjson.encode_bytes),
}


def _status_response(codec: _Codec, http_code: int, message: str,
                     retry_seconds: float | None = None) -> web.Response:
    st = rpcstatus.http_status(http_code, message, retry_seconds)
    resp = web.Response(status=http_code, body=codec.encode(st), content_type=codec.content_type)
    if retry_seconds is not None:
        resp.headers["Retry-After"] = rpcstatus.retry_after_header(retry_seconds)
    return resp


class HTTPServer:
    """An aiohttp server with one POST handler per signal in ``consumers``.

    Paths of other signals answer 404.
    """

    def __init__(self, cfg: HTTPServerSettings, paths: Mapping[Signal, str],
                 consumers: Mapping[Signal, Consumer], malformed: why.MalformedRequests,
                 name: str) -> None:
        self._cfg = cfg
        self._paths = paths
        self._consumers = consumers
        self._malformed = malformed
        self._name = name
        self.endpoint = Endpoint.parse(cfg.endpoint)
        self._limit = cfg.body_limit
        self._guard = ConnectionGuard(cfg, malformed)  # max_connections, header deadline
        cors = CORS(cfg.cors) if cfg.cors is not None else None
        self._cors = cors if cors is not None and cors.enabled else None
        self._runner: web.AppRunner | None = None
        self._security = HTTPServerSecurity()  # closed (stops certificate reloads) on shutdown
        self.port: int | None = None

    def _app(self, security: HTTPServerSecurity) -> web.Application:
        app = web.Application(client_max_size=self._limit,
                              middlewares=[*self._guard.middlewares, *security.middlewares])
        for signal, consumer in self._consumers.items():
            handler = partial(self._handle, signal, consume_method(consumer, signal))
            app.router.add_route("*", self._paths[signal], handler)
        if self._cors is not None:
            app.on_response_prepare.append(self._cors.on_response_prepare)
        return app

    async def start(self, grace: float, security: HTTPServerSecurity | None = None) -> None:
        """Bind and serve (with ``security``'s TLS and auth middleware); raises
        ComponentStartError naming the endpoint if it cannot bind."""
        security = self._security = security or HTTPServerSecurity()
        runner = GuardedAppRunner(
            self._guard, self._app(security), handle_signals=False, access_log=None,
            auto_decompress=False,
            keepalive_timeout=self._cfg.keepalive_timeout or _NO_IDLE_LIMIT,
            shutdown_timeout=grace)
        await runner.setup()
        site = web.TCPSite(runner, self.endpoint.bind_host, self.endpoint.port,
                           reuse_port=False, ssl_context=security.ssl_context)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise ComponentStartError(
                f"{self._name}: cannot listen for HTTP on {self.endpoint}: "
                f"{exc.strerror or exc}") from None
        self._runner = runner
        self.port = runner.addresses[0][1]

    async def shutdown(self) -> None:
        """Stop accepting; in-flight requests get the grace given to start; idempotent."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self._security.close()

    # -- request handling ----------------------------------------------------------------
    def _refuse(self, reason: str, detail: str) -> None:
        self._malformed.record("http", reason, detail)

    async def _handle(self, signal: Signal, consume: Callable[[Batch], Any],
                      request: web.Request) -> web.StreamResponse:
        if request.method != "POST":
            if request.method == "OPTIONS" and self._cors is not None:
                return self._cors.preflight(request)
            self._refuse(why.METHOD, request.method)
            return web.Response(status=405, text="405 method not allowed, supported: [POST]",
                                headers={"Allow": "POST"})
        codec = _CODECS.get(request.content_type)
        if codec is None:
            self._refuse(why.CONTENT_TYPE, request.content_type)
            return web.Response(
                status=415, text=f"415 unsupported media type, supported: [{JSON}, {PROTOBUF}]")
        body_or_error = await self._body(request, codec)
        if isinstance(body_or_error, web.Response):
            return body_or_error
        try:
            if len(body_or_error) > _INLINE_DECODE_LIMIT and codec.content_type == JSON:
                # pure-Python JSON decoding: keep the loop (and the gRPC hot path) moving
                decoded = await asyncio.to_thread(codec.decode, signal, body_or_error)
            else:
                decoded = codec.decode(signal, body_or_error)
            batch, rejected, error_message = decoded
        except PermanentError as exc:
            self._refuse(codec.malformed_reason, str(exc))
            return _status_response(codec, 400, str(exc))
        if rejected:
            self._refuse(why.INVALID_IDS, error_message)
        if self._cfg.include_metadata:
            batch.metadata = ClientMetadata(request.headers.items())
        if batch.item_count:
            try:
                await consume(batch)
            except RetryableError as exc:
                return _status_response(codec, 503, str(exc), rpcstatus.retry_after(exc))
            except PermanentError as exc:
                return _status_response(codec, 400, str(exc))
        resp = rpcstatus.export_response(signal, rejected, error_message)
        return web.Response(body=codec.encode(resp), content_type=codec.content_type)

    async def _body(self, request: web.Request, codec: _Codec) -> bytes | web.Response:
        """The decoded body, or the error response refusing it."""
        limit = self._limit
        if request.content_length is not None and request.content_length > limit:
            return self._too_large(codec, f"body of {request.content_length} bytes is over "
                                          f"the limit of {limit}")
        try:
            if self._cfg.read_timeout:
                async with asyncio.timeout(self._cfg.read_timeout):
                    raw = await request.read()
            else:
                raw = await request.read()
            return decode_body(request.headers.get("Content-Encoding", ""), raw, limit)
        except web.HTTPRequestEntityTooLarge:
            return self._too_large(codec, f"body is over the limit of {limit} bytes")
        except BodyTooLarge as exc:
            return self._too_large(codec, str(exc))
        except BadEncoding as exc:
            self._refuse(why.ENCODING, str(exc))
            return _status_response(codec, 400, str(exc))
        except TimeoutError:
            self._refuse(why.TIMEOUT, f"body not received within {self._cfg.read_timeout}s")
            resp = _status_response(codec, 408, "request body not received in time")
            resp.force_close()  # do not wait for (or linger on) the rest of the body
            return resp

    def _too_large(self, codec: _Codec, detail: str) -> web.Response:
        self._refuse(why.TOO_LARGE, detail)
        resp = _status_response(codec, 413, detail)
        resp.force_close()  # do not read the rest of a body we refuse
        return resp
