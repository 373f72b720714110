"""The jaeger receiver: Jaeger Thrift (agent UDP, collector HTTP) and protobuf (gRPC)
translated to OTLP (:mod:`otelpy.jaeger`) for the traces pipeline."""

from __future__ import annotations

import logging
from typing import Any

import grpc
from aiohttp import web
from google.protobuf.message import DecodeError

from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.config.server import Endpoint
from otelpy.consumer import Consumer
from otelpy.errors import ComponentStartError, PermanentError, RetryableError
from otelpy.httpsite import HTTPSite
from otelpy.jaeger import protos, thriftcodec, to_otlp
from otelpy.pdata import Batch
from otelpy.receivers.jaeger.config import JaegerReceiverConfig, UDPSettings
from otelpy.receivers.jaeger.udp import UDPServer
from otelpy.security import grpc_server_security, http_server_security

SHUTDOWN_GRACE = 1.0
THRIFT_TYPES = ("application/x-thrift", "application/vnd.apache.thrift.binary")
MALFORMED = "otelpy_receiver_malformed_requests"


class JaegerReceiver(ComponentBase):
    """Serves the configured protocols; ``start`` binds every port or none (raising
    ComponentStartError naming the endpoint); ``shutdown`` is idempotent."""

    def __init__(self, settings: Settings, cfg: JaegerReceiverConfig,
                 consumer: Consumer) -> None:
        self.settings = settings
        self.cfg = cfg
        self._consumer = consumer
        self._name = f"receiver {settings.id}"
        self._malformed = settings.telemetry.counter(
            MALFORMED, "Requests refused or partly dropped because their input was invalid",
            ["receiver", "transport", "reason"])
        self._http = HTTPSite()
        self._grpc: grpc.aio.Server | None = None
        self.grpc_port: int | None = None
        self.udp: dict[str, UDPServer] = {}
        p = cfg.protocols
        for name, udp_cfg, compact in (("thrift_compact", p.thrift_compact, True),
                                       ("thrift_binary", p.thrift_binary, False)):
            if udp_cfg is not None:
                self.udp[name] = self._udp(name, udp_cfg, compact)

    @property
    def http_port(self) -> int | None:
        return self._http.port

    def refuse(self, transport: str, reason: str, detail: str) -> None:
        self._malformed.labels(str(self.settings.id), transport, reason).inc()
        if self.settings.logger.isEnabledFor(logging.DEBUG):
            self.settings.logger.debug("refused %s input (%s): %s", transport, reason, detail)

    def _udp(self, name: str, cfg: UDPSettings, compact: bool) -> UDPServer:
        async def handle(data: bytes) -> None:
            try:
                batch = thriftcodec.decode_agent(data, compact)
            except thriftcodec.MalformedThrift as exc:
                self.refuse(name, "malformed_thrift", str(exc))
                return
            request = to_otlp.thrift_to_request(*thriftcodec.from_thrift(batch))
            try:
                await self._consume(request)
            except (RetryableError, PermanentError) as exc:  # UDP cannot answer: count it
                self.refuse(name, "refused_by_pipeline", str(exc))

        return UDPServer(f"{self._name} {name}", cfg, handle,
                         lambda reason, detail: self.refuse(name, reason, detail))

    async def _consume(self, request: Any) -> None:
        batch = Batch.from_message(Signal.TRACES, request)
        if batch.item_count:
            await self._consumer.consume_traces(batch)

    async def start(self, host: Host | None = None) -> None:
        try:
            await self._start_http(host)
            await self._start_grpc(host)
            for name, server in self.udp.items():
                await server.start()
                self.settings.logger.info("receiver %s: Jaeger %s listening on UDP %s",
                                          self.settings.id, name, server.port)
        except BaseException:
            await self.shutdown()
            raise

    async def _start_http(self, host: Host | None) -> None:
        cfg = self.cfg.protocols.thrift_http
        if cfg is None:
            return
        security = await http_server_security(cfg.tls, cfg.auth, host, self.settings,
                                              "protocols::thrift_http")
        app = web.Application(client_max_size=cfg.body_limit,
                              middlewares=security.middlewares)
        app.router.add_route("*", "/api/traces", self._post_traces)
        try:
            await self._http.start(app, cfg.endpoint, security)
        except ComponentStartError as exc:
            raise ComponentStartError(f"{self._name}: thrift_http: {exc}") from None
        self.settings.logger.info("receiver %s: Jaeger thrift_http listening on %s",
                                  self.settings.id, self._http.port)

    async def _post_traces(self, request: web.Request) -> web.Response:
        if request.method != "POST":
            return web.Response(status=405, text="method not allowed", headers={"Allow": "POST"})
        if request.content_type not in THRIFT_TYPES:
            self.refuse("thrift_http", "unsupported_content_type", request.content_type)
            return web.Response(status=400, text=f"Unsupported content type: "
                                                 f"{request.content_type}")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            self.refuse("thrift_http", "too_large", "body over max_request_body_size")
            return web.Response(status=413, text="request body too large")
        try:
            batch = thriftcodec.decode_batch(body)
        except thriftcodec.MalformedThrift as exc:
            self.refuse("thrift_http", "malformed_thrift", str(exc))
            return web.Response(status=400, text=f"Unable to process request body: {exc}")
        try:
            await self._consume(to_otlp.thrift_to_request(*thriftcodec.from_thrift(batch)))
        except RetryableError as exc:
            return web.Response(status=503, text=str(exc))
        except PermanentError as exc:
            return web.Response(status=400, text=str(exc))
        return web.Response(status=202)

    async def _start_grpc(self, host: Host | None) -> None:
        cfg = self.cfg.protocols.grpc
        if cfg is None:
            return
        security = await grpc_server_security(cfg.tls, cfg.auth, host, self.settings,
                                              "protocols::grpc")
        server = grpc.aio.server(options=cfg.grpc_options(), interceptors=security.interceptors)
        method = grpc.unary_unary_rpc_method_handler(self._post_spans)
        server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
            protos.SERVICE, {"PostSpans": method})])
        endpoint = Endpoint.parse(cfg.endpoint)
        address = endpoint.grpc_address()
        try:
            port = (server.add_insecure_port(address) if security.credentials is None
                    else server.add_secure_port(address, security.credentials))
        except RuntimeError as exc:
            port, why = 0, str(exc)
        else:
            why = "address unavailable or already in use"
        if port == 0 and endpoint.port != 0:
            raise ComponentStartError(f"{self._name}: cannot listen for gRPC on {endpoint}: "
                                      f"{why}")
        await server.start()
        self._grpc, self.grpc_port = server, port
        self.settings.logger.info("receiver %s: Jaeger gRPC listening on %s",
                                  self.settings.id, port)

    async def _post_spans(self, data: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
        try:
            request = protos.PostSpansRequest.FromString(data)
        except DecodeError as exc:
            self.refuse("grpc", "malformed_protobuf", str(exc))
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"malformed request: {exc}")
        try:
            await self._consume(to_otlp.proto_to_request([protos.from_proto(request.batch)]))
        except RetryableError as exc:
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
        except PermanentError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return b""  # an empty PostSpansResponse

    async def shutdown(self) -> None:
        for server in self.udp.values():
            await server.shutdown(SHUTDOWN_GRACE)
        await self._http.stop()
        grpc_server, self._grpc = self._grpc, None
        if grpc_server is not None:
            await grpc_server.stop(SHUTDOWN_GRACE)
