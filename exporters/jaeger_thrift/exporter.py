"""The jaeger_thrift exporter: OTLP spans translated (:mod:`otelpy.jaeger.from_otlp`) into one
Jaeger Thrift ``Batch`` per resource, each POSTed (binary protocol,
``application/x-thrift``) to the collector's ``/api/traces``; 2xx accepted, 429 and 5xx
retried, others permanent."""

from __future__ import annotations

import gzip
from collections.abc import Iterable

from yarl import URL

from otelpy import __version__
from otelpy.component import Host, Settings, Signal
from otelpy.exporterhelper import ExporterHelper
from otelpy.exporters.jaeger_thrift.config import JaegerThriftExporterConfig
from otelpy.httpclient import HTTPClient
from otelpy.jaeger import from_otlp
from otelpy.jaeger.thriftcodec import encode_batch
from otelpy.pdata import Batch


class JaegerThriftExporter(ExporterHelper):
    """A traces Consumer via :class:`ExporterHelper`."""

    def __init__(self, settings: Settings, cfg: JaegerThriftExporterConfig,
                 signals: Iterable[Signal]) -> None:
        super().__init__(settings, signals, cfg.sending_queue, cfg.retry_on_failure,
                         cfg.timeout, self._send)
        self.url = URL(cfg.endpoint)
        self._headers = {"User-Agent": f"otelpy/{__version__}",
                         "Content-Type": "application/x-thrift", **cfg.headers}
        self._gzip = cfg.compression == "gzip"
        if self._gzip:
            self._headers["Content-Encoding"] = "gzip"
        self._client = HTTPClient(cfg, settings, [self.url])
        self._invalid = settings.telemetry.counter(
            "otelpy_exporter_jaeger_thrift_invalid_spans",
            "Spans not sent because their trace or span ID is invalid",
            ["exporter"]).labels(exporter=str(settings.id))

    async def start(self, host: Host) -> None:
        await self._client.start(host)
        await super().start(host)

    async def shutdown(self, drain_timeout: float | None = None) -> None:
        await super().shutdown(drain_timeout)
        await self._client.close()

    async def _send(self, batch: Batch) -> None:
        """One POST per resource. A retry resends the whole request: the collector may see
        the batches of resources that went through before the failure twice (as the
        Collector's exporter did)."""
        left_out = 0
        for jbatch, invalid in list(from_otlp.batches(batch.message)):
            left_out += invalid
            if not jbatch.spans:
                continue
            body = encode_batch(jbatch)
            if self._gzip:
                body = gzip.compress(body, 1)
            await self._client.send("POST", self.url, body, self._headers)
        if left_out:  # counted once the request went through, not on every retry
            self._invalid.inc(left_out)
