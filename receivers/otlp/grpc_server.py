"""OTLP over gRPC: the three Export methods on one grpc.aio server, bytes in, bytes out.

The handlers are registered without a request deserializer, so they receive the
request's raw bytes and build a :class:`~otelpy.pdata.Batch` from them with the
skeleton check only; nothing is decoded and nothing is logged per request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import grpc

from otelpy.component import Signal
from otelpy.config.server import Endpoint, GRPCServerSettings
from otelpy.consumer import Consumer
from otelpy.errors import ComponentStartError, PermanentError, RetryableError
from otelpy.pdata import Batch, ClientMetadata, rpcstatus
from otelpy.receivers.otlp.grpc_limits import CallStats, GrpcRefusals, size_checked
from otelpy.receivers.otlp.malformed import MALFORMED_PROTOBUF, MalformedRequests
from otelpy.security import GRPCServerSecurity

SERVICES = {
    Signal.TRACES: "opentelemetry.proto.collector.trace.v1.TraceService",
    Signal.METRICS: "opentelemetry.proto.collector.metrics.v1.MetricsService",
    Signal.LOGS: "opentelemetry.proto.collector.logs.v1.LogsService",
}

_Handler = Callable[[bytes, grpc.aio.ServicerContext[Any, Any]], Awaitable[bytes]]


def consume_method(consumer: Consumer, signal: Signal) -> Callable[[Batch], Awaitable[None]]:
    """The consumer's ``consume_<signal>`` bound method."""
    if signal is Signal.TRACES:
        return consumer.consume_traces
    if signal is Signal.METRICS:
        return consumer.consume_metrics
    return consumer.consume_logs


def _export_handler(signal: Signal, consumer: Consumer,
                    malformed: MalformedRequests, include_metadata: bool = False) -> _Handler:
    """The Export method of one signal: check, hand to the consumer, map refusals."""
    consume = consume_method(consumer, signal)
    from_bytes = Batch.from_bytes
    invalid = grpc.StatusCode.INVALID_ARGUMENT

    async def export(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
        try:
            batch = from_bytes(signal, request)
        except PermanentError as exc:
            malformed.record("grpc", MALFORMED_PROTOBUF, str(exc))
            await context.abort(invalid, str(exc))
        if batch.item_count == 0:
            return b""
        if include_metadata:
            batch.metadata = ClientMetadata.from_grpc(context.invocation_metadata())
        try:
            await consume(batch)
        except RetryableError as exc:
            delay = rpcstatus.retry_after(exc)
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc),
                                rpcstatus.grpc_retry_trailers(str(exc), delay))
        except PermanentError as exc:
            await context.abort(invalid, str(exc))
        return b""  # an empty Export*ServiceResponse

    return export


class GRPCServer:
    """One grpc.aio server serving the Export method of each signal in ``consumers``.

    Methods of other signals answer UNIMPLEMENTED (grpc's answer to an unknown method).
    """

    def __init__(self, cfg: GRPCServerSettings, consumers: Mapping[Signal, Consumer],
                 malformed: MalformedRequests, name: str) -> None:
        self._cfg = cfg
        self._consumers = consumers
        self._malformed = malformed
        self._name = name
        self.endpoint = Endpoint.parse(cfg.endpoint)
        self._server: grpc.aio.Server | None = None
        self._security = GRPCServerSecurity()  # closed (stops certificate reloads) on shutdown
        self.port: int | None = None
        self._calls = CallStats()
        self._refusals: GrpcRefusals | None = None

    def _handlers(self) -> list[grpc.GenericRpcHandler]:
        out = []
        for signal, consumer in self._consumers.items():
            method = grpc.unary_unary_rpc_method_handler(size_checked(
                _export_handler(signal, consumer, self._malformed,
                                self._cfg.include_metadata),
                self._cfg.max_recv_msg_size, self._malformed, self._calls))
            out.append(grpc.method_handlers_generic_handler(SERVICES[signal],
                                                            {"Export": method}))
        return out

    async def start(self, security: GRPCServerSecurity | None = None) -> None:
        """Bind and serve (with ``security``'s TLS and auth interceptors); raises
        ComponentStartError naming the endpoint if it cannot bind."""
        security = self._security = security or GRPCServerSecurity()
        server = grpc.aio.server(options=self._cfg.grpc_options(),
                                 interceptors=security.interceptors)
        self._refusals = refusals = GrpcRefusals(self._calls, self._malformed)  # right after
        server.add_generic_rpc_handlers(self._handlers())
        address = self.endpoint.grpc_address()
        try:
            port = (server.add_insecure_port(address) if security.credentials is None
                    else server.add_secure_port(address, security.credentials))
        except RuntimeError as exc:
            raise self._bind_error(f"{exc}") from None
        if port == 0 and self.endpoint.port != 0:
            raise self._bind_error("address unavailable or already in use")
        await server.start()
        self._server = server
        self.port = port
        refusals.start()

    def _bind_error(self, why: str) -> ComponentStartError:
        return ComponentStartError(
            f"{self._name}: cannot listen for gRPC on {self.endpoint} "
            f"({self.endpoint.grpc_address()}): {why}")

    async def shutdown(self, grace: float) -> None:
        """Stop accepting, let in-flight calls finish within ``grace`` seconds; idempotent."""
        server, self._server = self._server, None
        if self._refusals is not None:
            await self._refusals.stop()
        if server is not None:
            await server.stop(grace)
        await self._security.close()
