"""The influxdb exporter: metrics as line protocol to InfluxDB's v2 (``/api/v2/write``) or
v1 (``/write``) API.

Each batch becomes lines (``lineproto``, influxdb-client's encoder), split into requests of
at most ``payload_max_lines`` lines and ``payload_max_bytes`` bytes, POSTed one after the
other with aiohttp on the event loop. Answers map as the Collector does — 2xx accepted, 5xx
retryable — plus 429 retryable (with Retry-After); anything else is permanent. A retried
batch is sent again whole: InfluxDB overwrites a point with the same series and timestamp,
so requests already accepted are not duplicated.
"""

from __future__ import annotations

import base64
import gzip
import importlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from yarl import URL

from otelpy import __version__
from otelpy.component import Host, Settings, Signal
from otelpy.exporterhelper import ExporterHelper
from otelpy.exporters.influxdb.config import InfluxDBConfig
from otelpy.httpclient import HTTPClient
from otelpy.pdata import Batch

__all__ = ["InfluxDBExporter", "write_url"]


def write_url(cfg: InfluxDBConfig) -> URL:
    """The write URL: the endpoint's path, or the API's default path, with the query the
    API needs (``precision=ns`` and db/rp or org/bucket)."""
    url = URL(cfg.endpoint)
    v1 = cfg.v1_compatibility
    if url.path in ("", "/"):
        url = url.with_path("/write" if v1.enabled else "/api/v2/write")
    query = dict(url.query)
    query["precision"] = "ns"
    if v1.enabled:
        query["db"] = v1.db
        if v1.retention_policy:
            query["rp"] = v1.retention_policy
    else:
        query["org"] = cfg.org
        query["bucket"] = cfg.bucket
    return url.with_query(query)


def _auth_header(cfg: InfluxDBConfig) -> str | None:
    v1 = cfg.v1_compatibility
    if v1.enabled:
        if v1.username and v1.password:
            pair = f"{v1.username}:{v1.password.reveal()}".encode()
            return "Basic " + base64.b64encode(pair).decode()
        return None
    return f"Token {cfg.token.reveal()}" if cfg.token else None


def payloads(lines: list[str], max_lines: int, max_bytes: int) -> Iterator[bytes]:
    """Lines joined into bodies of at most ``max_lines`` lines and, unless one line alone is
    larger, ``max_bytes`` bytes."""
    chunk: list[bytes] = []
    size = 0
    for line in lines:
        data = line.encode()
        if chunk and (len(chunk) >= max_lines or size + len(data) + 1 > max_bytes):
            yield b"\n".join(chunk)
            chunk, size = [], 0
        chunk.append(data)
        size += len(data) + 1
    if chunk:
        yield b"\n".join(chunk)


class InfluxDBExporter(ExporterHelper):
    """A metrics Consumer via :class:`ExporterHelper`."""

    def __init__(self, settings: Settings, cfg: InfluxDBConfig,
                 signals: Iterable[Signal]) -> None:
        super().__init__(settings, signals, cfg.sending_queue, cfg.retry_on_failure,
                         cfg.timeout, self._send)
        # influxdb-client is imported with the component, never with the factory
        lineproto = importlib.import_module("otelpy.exporters.influxdb.lineproto")
        self._to_lines: Callable[[Any, str], tuple[list[str], int]] = lineproto.to_lines
        self.cfg = cfg
        self.url = write_url(cfg)
        headers = {"User-Agent": f"otelpy/{__version__}",
                   "Content-Type": "text/plain; charset=utf-8"}
        auth = _auth_header(cfg)
        if auth:
            headers["Authorization"] = auth
        headers.update(cfg.headers)
        self._gzip = cfg.compression == "gzip"
        if self._gzip:
            headers["Content-Encoding"] = "gzip"
        self._headers = headers
        self._client = HTTPClient(cfg, settings, [self.url])
        self._skipped = settings.telemetry.counter(
            "otelpy_exporter_influxdb_skipped_points",
            "Data points with no line protocol form (no timestamp, exponential histogram, "
            "bucket counts not matching the bounds)", ["exporter"]).labels(
                exporter=str(settings.id))

    async def start(self, host: Host) -> None:
        await self._client.start(host)
        await super().start(host)

    async def shutdown(self, drain_timeout: float | None = None) -> None:
        """Drain the queue (see ExporterHelper.shutdown), then close the client. Idempotent."""
        await super().shutdown(drain_timeout)
        await self._client.close()

    async def _send(self, batch: Batch) -> None:
        lines, skipped = self._to_lines(batch.message, self.cfg.metrics_schema)
        if skipped:
            self._skipped.inc(skipped)
        for body in payloads(lines, self.cfg.payload_max_lines, self.cfg.payload_max_bytes):
            data = gzip.compress(body, 1) if self._gzip else body
            await self._client.send("POST", self.url, data, self._headers)
