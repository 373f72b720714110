"""The zipkin receiver: ``POST /api/v2/spans`` (JSON, or protobuf with
``Content-Type: application/x-protobuf``) and ``/api/v1/spans`` (JSON) into OTLP.

Answers as the Collector does: 202 accepted, 400 with the reason for input it cannot
translate (counted in ``otelpy_receiver_malformed_requests``), 400 for a permanent and 500
for a retryable pipeline refusal. Bodies may be gzip, deflate or zlib encoded.
"""

from __future__ import annotations

import logging
import zlib
from typing import Any

from aiohttp import web

from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Consumer
from otelpy.errors import PermanentError, RetryableError
from otelpy.httpsite import HTTPSite
from otelpy.pdata import Batch, ClientMetadata
from otelpy.receivers.zipkin.config import ZipkinReceiverConfig
from otelpy.security import http_server_security
from otelpy.zipkin import model, to_otlp, v1

MALFORMED = "otelpy_receiver_malformed_requests"


class ZipkinReceiver(ComponentBase):
    """One HTTP server; ``start`` raises ComponentStartError naming the endpoint when it
    cannot bind; ``shutdown`` is idempotent."""

    def __init__(self, settings: Settings, cfg: ZipkinReceiverConfig,
                 consumer: Consumer) -> None:
        self.settings = settings
        self.cfg = cfg
        self._consumer = consumer
        self._site = HTTPSite()
        self._malformed = settings.telemetry.counter(
            MALFORMED, "Requests refused or partly dropped because their input was invalid",
            ["receiver", "transport", "reason"])

    @property
    def port(self) -> int | None:
        return self._site.port

    async def start(self, host: Host | None = None) -> None:
        cfg = self.cfg
        security = await http_server_security(cfg.tls, cfg.auth, host, self.settings, "")
        app = web.Application(client_max_size=cfg.body_limit,
                              middlewares=security.middlewares)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        await self._site.start(app, cfg.endpoint, security)
        self.settings.logger.info("receiver %s: Zipkin listening on %s", self.settings.id,
                                  self._site.port)

    async def shutdown(self) -> None:
        await self._site.stop()

    def _refuse(self, transport: str, reason: str, detail: str) -> web.Response:
        self._malformed.labels(str(self.settings.id), transport, reason).inc()
        if self.settings.logger.isEnabledFor(logging.DEBUG):
            self.settings.logger.debug("refused %s request (%s): %s", transport, reason, detail)
        return web.Response(status=400, text=detail)

    async def _handle(self, request: web.Request) -> web.Response:
        v1_api = "api/v1/spans" in request.path
        protobuf = request.content_type == "application/x-protobuf"
        transport = "http_v1_json" if v1_api else \
            ("http_v2_proto" if protobuf else "http_v2_json")
        if request.method != "POST":
            return web.Response(status=405, text="method not allowed", headers={"Allow": "POST"})
        try:
            body = _decompress(request.headers.get("Content-Encoding", ""),
                               await request.read(), self.cfg.body_limit)
        except web.HTTPRequestEntityTooLarge:
            self._malformed.labels(str(self.settings.id), transport, "too_large").inc()
            return web.Response(status=413, text="request body too large")
        except ValueError as exc:
            return self._refuse(transport, "bad_content_encoding", str(exc))
        try:
            message = self._translate(body, v1_api, protobuf, request)
        except model.MalformedZipkin as exc:
            return self._refuse(transport, "malformed", str(exc))
        batch = Batch.from_message(Signal.TRACES, message)
        if self.cfg.include_metadata:
            batch.metadata = ClientMetadata(request.headers.items())
        if batch.item_count:
            try:
                await self._consumer.consume_traces(batch)
            except PermanentError:
                return web.Response(status=400, text='"Bad Request"')
            except RetryableError:
                return web.Response(status=500, text='"Internal Server Error"')
        return web.Response(status=202)

    def _translate(self, body: bytes, v1_api: bool, protobuf: bool,
                   request: web.Request) -> Any:
        parse = self.cfg.parse_string_tags
        if v1_api:
            if request.content_type == "application/x-thrift":
                raise model.MalformedZipkin("Zipkin v1 Thrift is not supported")
            return v1.to_request(body, parse, self.settings.clock.time_ns())
        if protobuf:
            spans = model.decode_proto(body, request.headers.get("X-B3-Flags") == "1")
        else:
            spans = model.decode_json_v2(body)
        return to_otlp.to_request(spans, parse)


def _decompress(encoding: str, body: bytes, limit: int) -> bytes:
    """gzip, deflate or zlib bodies decoded (at most ``limit`` bytes); others as they are.
    ValueError when the body does not decode or is larger than ``limit``."""
    encoding = encoding.strip().lower()
    if encoding not in ("gzip", "deflate", "zlib"):
        return body
    wbits = 31 if encoding == "gzip" else 15
    decoder = zlib.decompressobj(wbits)
    try:
        out = decoder.decompress(body, limit + 1)
    except zlib.error as exc:
        raise ValueError(f"{encoding} body does not decode: {exc}") from None
    if len(out) > limit:
        raise ValueError(f"decompressed body is over the limit of {limit} bytes")
    return out
