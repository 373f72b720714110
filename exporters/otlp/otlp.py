"""The otlp exporter: OTLP/gRPC export calls carrying the batch's bytes as they are.

A grpc.aio channel with generic unary calls and no (de)serializers: the request
is ``Batch.data``, never decoded or re-encoded. Errors map as in the Collector's
otlpexporter: CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE
and DATA_LOSS are retryable, RESOURCE_EXHAUSTED only when the server sent a
RetryInfo; every other code is permanent. A RetryInfo delay (from the
``grpc-status-details-bin`` trailer) becomes the next retry's wait. A partial
success in the (small) response is decoded and logged. With
``tls::insecure_skip_verify`` (which grpcio cannot do) the channel connects in plaintext
to an in-process TLS bridge, :mod:`otelpy.grpcbridge`.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterable
from typing import Any

import grpc

from otelpy import __version__
from otelpy.auth import ClientAuthenticator, with_auth_metadata
from otelpy.component import Host, Settings, Signal
from otelpy.errors import PermanentError, RetryableError
from otelpy.exporterhelper import ExporterHelper
from otelpy.exporterhelper.logthrottle import ThrottledLog
from otelpy.exporters.otlp.config import OTLPConfig
from otelpy.grpcbridge import CONNECT_TIMEOUT, GrpcTLSBridge, parse_target
from otelpy.pdata import SPECS, Batch
from otelpy.pdata.rpcstatus import (
    STATUS_DETAILS_KEY,
    decode_partial_success,
    decode_status,
)
from otelpy.security import client_authenticator, grpc_client_tls
from otelpy.tlsreload import TLSReloader, retire_channel

__all__ = ["OTLPExporter", "METHODS", "RETRYABLE_CODES", "map_rpc_error"]

METHODS = {
    Signal.TRACES: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    Signal.METRICS: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    Signal.LOGS: "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
}

RETIRE_GRACE = 30.0  # seconds an old channel's calls get after new TLS material (no timeout)

RETRYABLE_CODES = frozenset({
    grpc.StatusCode.CANCELLED, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED,
    grpc.StatusCode.OUT_OF_RANGE, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DATA_LOSS,
})


def _retry_delay(trailers: Any) -> float | None:
    """RetryInfo's delay from the grpc-status-details-bin trailer, if the server sent one."""
    for key, value in trailers or ():
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            status = decode_status(value)
            return None if status is None else status.retry_delay
    return None



def map_rpc_error(err: grpc.aio.AioRpcError, target: str) -> RetryableError | PermanentError:
    """The otelpy error for a failed call, as the Collector's otlpexporter decides."""
    code = err.code()
    trailers = err.trailing_metadata()
    delay = _retry_delay(trailers)
    msg = f"export to {target} failed: {code.name}: {err.details()}"
    if code in RETRYABLE_CODES:
        return RetryableError(msg, retry_after=delay if delay else None)
    if code is grpc.StatusCode.RESOURCE_EXHAUSTED and delay is not None:
        # RetryInfo came from the server's trailers: it answered that it took nothing
        return RetryableError(msg, retry_after=delay if delay else None,
                              may_have_arrived=False)
    return PermanentError(msg)


class OTLPExporter(ExporterHelper):
    """Sends every batch as one unary Export call; a Consumer via :class:`ExporterHelper`."""

    def __init__(self, settings: Settings, cfg: OTLPConfig, signals: Iterable[Signal]) -> None:
        signals = frozenset(signals)
        problems = cfg.validate_config()
        if problems:
            raise ValueError("; ".join(problems))
        super().__init__(settings, signals, cfg.sending_queue, cfg.retry_on_failure,
                         cfg.timeout, self._send)
        self.cfg = cfg
        self.target = cfg.target()
        self._metadata = cfg.metadata()
        self._call_timeout = cfg.timeout or None
        self._channel: grpc.aio.Channel | None = None
        self._calls: dict[Signal, Any] = {}
        self._partial_log = ThrottledLog(settings.logger, logging.WARNING)
        self._auth: ClientAuthenticator | None = None
        self._tls: TLSReloader[grpc.ChannelCredentials] | None = None
        self._bridge: GrpcTLSBridge | None = None  # tls::insecure_skip_verify

    def _open_channel(self, credentials: grpc.ChannelCredentials | None) -> grpc.aio.Channel:
        cfg = self.cfg
        options = [*cfg.channel_options(),
                   ("grpc.primary_user_agent", f"otelpy/{__version__}")]
        compression = grpc.Compression.Gzip if cfg.compression == "gzip" else None
        if self._bridge is not None:
            return grpc.aio.insecure_channel(self._bridge.target, compression=compression,
                                             options=self._bridge.channel_options(options))
        if credentials is None:
            return grpc.aio.insecure_channel(self.target, options=options,
                                             compression=compression)
        return grpc.aio.secure_channel(self.target, credentials,
                                       options=options, compression=compression)

    async def start(self, host: Host) -> None:
        """Create the channel (it connects lazily) and start the queue workers."""
        if self._channel is None:
            log = self.settings.logger
            self._auth = client_authenticator(self.cfg.auth, host, log, self.cfg.plaintext())
            tls = None if self.cfg.plaintext() else self.cfg.tls
            if tls is not None and tls.insecure_skip_verify:
                # grpcio cannot skip verification: TLS through otelpy.grpcbridge instead
                self._bridge = GrpcTLSBridge(
                    parse_target(self.target), tls, self.settings,
                    connect_timeout=self._call_timeout or CONNECT_TIMEOUT,
                    on_change=self._credentials_changed)
                await self._bridge.start()
            elif tls is not None:
                self._tls = await grpc_client_tls(tls, self.settings,
                                                  on_change=self._credentials_changed)
            self._use_channel(self._open_channel(
                None if self._tls is None else self._tls.current))
        await super().start(host)

    def _use_channel(self, channel: grpc.aio.Channel) -> None:
        self._channel = channel
        self._calls = {
            s: channel.unary_unary(METHODS[s], request_serializer=None,
                                   response_deserializer=None)
            for s in self.signals
        }

    async def _credentials_changed(self, material: grpc.ChannelCredentials | ssl.SSLContext
                                   ) -> None:
        """New TLS material (tls::reload_interval): new calls go to a new channel (a new
        connection, through the bridge too); the old one is closed once its calls are done."""
        old = self._channel
        if old is None:
            return
        self._use_channel(self._open_channel(
            material if isinstance(material, grpc.ChannelCredentials) else None))
        await retire_channel(old, self._call_timeout or RETIRE_GRACE)

    async def shutdown(self, drain_timeout: float | None = None) -> None:
        """Drain the queue (see ExporterHelper.shutdown), then close the channel. Idempotent."""
        await super().shutdown(drain_timeout)
        if self._tls is not None:
            await self._tls.stop()
        if self._channel is not None:
            channel, self._channel = self._channel, None
            self._calls = {}
            await channel.close()
        if self._bridge is not None:
            bridge, self._bridge = self._bridge, None
            await bridge.stop()

    async def _send(self, batch: Batch) -> None:
        """One Export call; raises RetryableError / PermanentError as the status says."""
        call = self._calls.get(batch.signal)
        if call is None:
            raise RetryableError("otlp exporter is not started")
        try:
            response = await call(batch.data, timeout=self._call_timeout,
                                  metadata=self._metadata if self._auth is None
                                  else with_auth_metadata(self._metadata, self._auth),
                                  wait_for_ready=self.cfg.wait_for_ready)
        except grpc.aio.AioRpcError as err:
            raise map_rpc_error(err, self.target) from None
        if response:
            partial = decode_partial_success(batch.signal, response)
            if partial is not None:
                self._partial_log.log("partial success: the server rejected %d %s: %s",
                                      partial.rejected, SPECS[batch.signal].item_name,
                                      partial.message)
