"""The otlp receiver: OTLP over gRPC and HTTP into the pipelines of each signal."""

from __future__ import annotations

from collections.abc import Mapping

from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Consumer
from otelpy.receivers.otlp.config import OTLPReceiverConfig
from otelpy.receivers.otlp.grpc_server import GRPCServer
from otelpy.receivers.otlp.http_server import HTTPServer
from otelpy.receivers.otlp.malformed import MalformedRequests
from otelpy.security import (
    GRPCServerSecurity,
    HTTPServerSecurity,
    grpc_server_security,
    http_server_security,
)

SHUTDOWN_GRACE = 1.0  # seconds in-flight requests get to finish on shutdown


class OTLPReceiver(ComponentBase):
    """Serves every signal in ``consumers`` on the configured protocols.

    ``start`` binds the ports (raising ComponentStartError naming the endpoint when one
    cannot be bound, with nothing left listening); ``shutdown`` stops both servers,
    giving in-flight requests :data:`SHUTDOWN_GRACE` seconds, and is idempotent.
    """

    def __init__(self, settings: Settings, cfg: OTLPReceiverConfig,
                 consumers: Mapping[Signal, Consumer]) -> None:
        self.settings = settings
        self.cfg = cfg
        self._consumers = dict(consumers)
        malformed = MalformedRequests(settings)
        name = f"receiver {settings.id}"
        protocols = cfg.protocols
        self.grpc = (GRPCServer(protocols.grpc, self._consumers, malformed, name)
                     if protocols.grpc is not None else None)
        self.http = None
        if protocols.http is not None:
            paths = {Signal.TRACES: protocols.http.traces_url_path,
                     Signal.METRICS: protocols.http.metrics_url_path,
                     Signal.LOGS: protocols.http.logs_url_path}
            self.http = HTTPServer(protocols.http, paths, self._consumers, malformed, name)

    async def start(self, host: Host | None = None) -> None:
        log = self.settings.logger
        try:
            if self.grpc is not None:
                await self.grpc.start(await self._grpc_security(host))
                log.info("receiver %s: OTLP/gRPC listening on %s (port %s)",
                         self.settings.id, self.grpc.endpoint, self.grpc.port)
            if self.http is not None:
                await self.http.start(SHUTDOWN_GRACE, await self._http_security(host))
                log.info("receiver %s: OTLP/HTTP listening on %s (port %s)",
                         self.settings.id, self.http.endpoint, self.http.port)
        except BaseException:
            await self.shutdown()
            raise

    async def _grpc_security(self, host: Host | None) -> GRPCServerSecurity:
        cfg = self.cfg.protocols.grpc
        if cfg is None:
            return GRPCServerSecurity()
        return await grpc_server_security(cfg.tls, cfg.auth, host, self.settings,
                                          "protocols::grpc")

    async def _http_security(self, host: Host | None) -> HTTPServerSecurity:
        cfg = self.cfg.protocols.http
        if cfg is None:
            return HTTPServerSecurity()
        return await http_server_security(cfg.tls, cfg.auth, host, self.settings,
                                          "protocols::http")

    async def shutdown(self) -> None:
        if self.http is not None:
            await self.http.shutdown()
        if self.grpc is not None:
            await self.grpc.shutdown(SHUTDOWN_GRACE)
