"""The datadog exporter: metrics as series JSON to Datadog's series API v2
(``POST /api/v2/series``, default) or v1 (``/api/v1/series``); traces as the trace agent's
msgpack payload (``POST /v0.4/traces``, :mod:`.spans`); logs as JSON to the logs intake
(``POST /api/v2/logs``, :mod:`.logs`).

Each batch is translated (``translate``), encoded and POSTed in requests of at most
``MAX_BODY`` uncompressed bytes, gzip- or deflate-compressed, with the API key in the
``DD-API-KEY`` header. 2xx is accepted; 408, 429 (Retry-After), 5xx and connection errors
are retried by the sending queue; other statuses (400, 403 bad key, 413) are permanent.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator

from yarl import URL

from otelpy import __version__
from otelpy.component import Host, Settings, Signal
from otelpy.config.client import HTTPClientSettings
from otelpy.exporterhelper import ExporterHelper
from otelpy.exporters.datadog.config import DatadogConfig
from otelpy.exporters.datadog.logs import log_bodies
from otelpy.exporters.datadog.spans import encode_traces, to_dd_spans
from otelpy.exporters.datadog.tags import system_hostname
from otelpy.exporters.datadog.translate import Series, Translator
from otelpy.httpclient import HTTPClient
from otelpy.pdata import Batch

__all__ = ["MAX_BODY", "DatadogExporter", "encode_v1", "encode_v2"]

#: Datadog takes up to 5 MB decompressed per series request (v2); stay well below
MAX_BODY = 3_000_000
_V2_TYPES = {"count": 1, "rate": 2, "gauge": 3}


def encode_v2(s: Series) -> dict[str, object]:
    """One series of the v2 API (``MetricSeries``)."""
    doc: dict[str, object] = {"metric": s.name, "type": _V2_TYPES[s.type],
                              "points": [{"timestamp": s.timestamp, "value": s.value}],
                              "tags": list(s.tags)}
    if s.host:
        doc["resources"] = [{"name": s.host, "type": "host"}]
    return doc


def encode_v1(s: Series) -> dict[str, object]:
    """One series of the v1 API."""
    doc: dict[str, object] = {"metric": s.name, "type": s.type,
                              "points": [[s.timestamp, s.value]], "tags": list(s.tags)}
    if s.host:
        doc["host"] = s.host
    return doc


def bodies(series: Iterable[Series], v2: bool, max_body: int = MAX_BODY) -> Iterator[bytes]:
    """``{"series": [...]}`` documents of at most ``max_body`` bytes (one series alone may
    be larger)."""
    encode = encode_v2 if v2 else encode_v1
    parts: list[bytes] = []
    size = 0
    for s in series:
        part = json.dumps(encode(s), separators=(",", ":"), allow_nan=False).encode()
        if parts and size + len(part) + 1 > max_body - 12:
            yield b'{"series":[' + b",".join(parts) + b"]}"
            parts, size = [], 0
        parts.append(part)
        size += len(part) + 1
    if parts:
        yield b'{"series":[' + b",".join(parts) + b"]}"


class DatadogExporter(ExporterHelper):
    """A metrics Consumer via :class:`ExporterHelper`."""

    def __init__(self, settings: Settings, cfg: DatadogConfig,
                 signals: Iterable[Signal]) -> None:
        super().__init__(settings, signals, cfg.sending_queue, cfg.retry_on_failure,
                         cfg.timeout, self._send)
        self.cfg = cfg
        self.url = URL(cfg.series_url())
        self._clock = settings.clock
        self.translator = Translator(cfg.metrics, cfg.hostname or system_hostname(),
                                     settings.clock.time_ns())
        compression = cfg.metrics.compression
        self._headers = {"DD-API-KEY": cfg.api.key.reveal(),
                         "Content-Type": "application/json",
                         "User-Agent": f"otelpy/{__version__}"}
        if compression != "none":
            self._headers["Content-Encoding"] = compression
        self._compression = compression
        self.traces_url, self.logs_url = URL(cfg.traces_url()), URL(cfg.logs_url())
        self._hostname = cfg.hostname or system_hostname()
        self._client = HTTPClient(HTTPClientSettings(tls=cfg.tls), settings,
                                  [self.url, self.traces_url, self.logs_url])
        self._skipped = settings.telemetry.counter(
            "otelpy_exporter_datadog_skipped_points",
            "Data points not sent (exponential histograms, series limit)",
            ["exporter"]).labels(exporter=str(settings.id))

    async def start(self, host: Host) -> None:
        await self._client.start(host)
        await super().start(host)

    async def shutdown(self, drain_timeout: float | None = None) -> None:
        """Drain the queue (see ExporterHelper.shutdown), then close the client. Idempotent."""
        await super().shutdown(drain_timeout)
        await self._client.close()

    def _compress(self, body: bytes) -> bytes:
        if self._compression == "gzip":
            return zlib.compress(body, 6, 31)
        if self._compression == "deflate":
            return zlib.compress(body, 6)
        return body

    async def _send(self, batch: Batch) -> None:
        if batch.signal is Signal.TRACES:
            await self._send_traces(batch)
        elif batch.signal is Signal.LOGS:
            await self._send_logs(batch)
        else:
            await self._send_metrics(batch)

    async def _send_traces(self, batch: Batch) -> None:
        traces = to_dd_spans(batch.message)
        if not traces:
            return
        headers = {"DD-API-KEY": self._headers["DD-API-KEY"],
                   "Content-Type": "application/msgpack",
                   "X-Datadog-Trace-Count": str(len(traces)),
                   "Datadog-Meta-Lang": "otlp", "User-Agent": self._headers["User-Agent"]}
        await self._client.send("POST", self.traces_url, encode_traces(traces), headers)

    async def _send_logs(self, batch: Batch) -> None:
        headers = {**self._headers}
        for body in log_bodies(batch.message, self._hostname):
            await self._client.send("POST", self.logs_url, self._compress(body), headers)

    async def _send_metrics(self, batch: Batch) -> None:
        translator = self.translator
        before = translator.skipped
        series = list(translator.series(batch.message, self._clock.monotonic()))
        if translator.skipped > before:
            self._skipped.inc(translator.skipped - before)
        for body in bodies(series, self.cfg.metrics.series_api == "v2"):
            await self._client.send("POST", self.url, self._compress(body), self._headers)
