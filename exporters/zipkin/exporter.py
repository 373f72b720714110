"""The zipkin exporter: OTLP spans translated (:mod:`otelpy.zipkin.from_otlp`) and POSTed
as Zipkin v2 JSON or protobuf; 2xx accepted, 429 and 5xx retried, others permanent."""

from __future__ import annotations

import gzip
from collections.abc import Iterable

from yarl import URL

from otelpy import __version__
from otelpy.component import Host, Settings, Signal
from otelpy.exporterhelper import ExporterHelper
from otelpy.exporters.zipkin.config import ZipkinExporterConfig
from otelpy.httpclient import HTTPClient
from otelpy.pdata import Batch
from otelpy.zipkin import from_otlp


class ZipkinExporter(ExporterHelper):
    """A traces Consumer via :class:`ExporterHelper`."""

    def __init__(self, settings: Settings, cfg: ZipkinExporterConfig,
                 signals: Iterable[Signal]) -> None:
        super().__init__(settings, signals, cfg.sending_queue, cfg.retry_on_failure,
                         cfg.timeout, self._send)
        self.cfg = cfg
        self.url = URL(cfg.endpoint)
        content_type = "application/json" if cfg.format == "json" else "application/x-protobuf"
        self._headers = {"User-Agent": f"otelpy/{__version__}", "Content-Type": content_type,
                         **cfg.headers}
        self._gzip = cfg.compression == "gzip"
        if self._gzip:
            self._headers["Content-Encoding"] = "gzip"
        self._client = HTTPClient(cfg, settings, [self.url])
        self._invalid = settings.telemetry.counter(
            "otelpy_exporter_zipkin_invalid_spans",
            "Spans not sent because their trace or span ID is invalid",
            ["exporter"]).labels(exporter=str(settings.id))

    async def start(self, host: Host) -> None:
        await self._client.start(host)
        await super().start(host)

    async def shutdown(self, drain_timeout: float | None = None) -> None:
        await super().shutdown(drain_timeout)
        await self._client.close()

    async def _send(self, batch: Batch) -> None:
        spans = list(from_otlp.spans(batch.message, self.cfg.default_service_name))
        if len(spans) < batch.item_count:
            self._invalid.inc(batch.item_count - len(spans))
        if not spans:
            return
        body = from_otlp.encode_json(spans) if self.cfg.format == "json" \
            else from_otlp.encode_proto(spans)
        if self._gzip:
            body = gzip.compress(body, 1)
        await self._client.send("POST", self.url, body, self._headers)
