"""The loki exporter: OTLP logs translated (:mod:`.translate`) into one push request per
tenant, POSTed with ``X-Scope-OrgID``; 2xx accepted, 429 and 5xx retried (honouring
Retry-After), others permanent. Records that cannot be converted, or that end up with no
label, are dropped and counted."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable

from yarl import URL

from otelpy import __version__
from otelpy.component import Host, Settings, Signal
from otelpy.exporterhelper import ExporterHelper
from otelpy.exporters.loki.config import LokiExporterConfig
from otelpy.exporters.loki.proto import PushRequest
from otelpy.exporters.loki.translate import TenantRequest, to_requests
from otelpy.httpclient import HTTPClient
from otelpy.pdata import Batch

TENANT_HEADER = "X-Scope-OrgID"


class LokiExporter(ExporterHelper):
    """A logs Consumer via :class:`ExporterHelper`."""

    def __init__(self, settings: Settings, cfg: LokiExporterConfig,
                 signals: Iterable[Signal]) -> None:
        super().__init__(settings, signals, cfg.sending_queue, cfg.retry_on_failure,
                         cfg.timeout, self._send)
        import cramjam  # imported when the exporter is created, not with the registry
        self._snappy: Callable[[bytes], object] = cramjam.snappy.compress_raw
        self.cfg = cfg
        self.url = URL(cfg.endpoint)
        self._headers = {"User-Agent": f"otelpy/{__version__}", **cfg.headers}
        if cfg.encoding == "protobuf":
            self._headers.update({"Content-Type": "application/x-protobuf",
                                  "Content-Encoding": "snappy"})
        else:
            self._headers["Content-Type"] = "application/json"
            if cfg.compression == "gzip":
                self._headers["Content-Encoding"] = "gzip"
        self._client = HTTPClient(cfg, settings, [self.url])
        self._dropped = settings.telemetry.counter(
            "otelpy_exporter_loki_dropped_log_records",
            "Log records not sent because they could not be converted to a Loki entry",
            ["exporter"]).labels(exporter=str(settings.id))

    async def start(self, host: Host) -> None:
        await self._client.start(host)
        await super().start(host)

    async def shutdown(self, drain_timeout: float | None = None) -> None:
        await super().shutdown(drain_timeout)
        await self._client.close()

    async def _send(self, batch: Batch) -> None:
        request = batch.message
        groups = self._translate(request)
        for tenant, group in groups.items():
            if group.dropped:
                self._dropped.inc(len(group.dropped))
                self.settings.logger.debug("loki: dropped %d records: %s", len(group.dropped),
                                           group.dropped[0])
            if not group.streams:
                continue
            headers = dict(self._headers)
            if tenant is not None:
                headers[TENANT_HEADER] = tenant
            await self._client.send("POST", self.url, self._body(group), headers)

    def _translate(self, request: object) -> dict[str | None, TenantRequest]:
        cfg = self.cfg
        tenant = cfg.tenant
        static = tenant.value if tenant is not None and tenant.source == "static" else None
        attribute = tenant.value if tenant is not None and tenant.source == "attributes" \
            else None
        return to_requests(request, cfg.default_labels_enabled, cfg.structured_metadata,
                           static, attribute)

    def _body(self, group: TenantRequest) -> bytes:
        if self.cfg.encoding == "json":
            streams = [{"stream": group.labels[key], "values": [
                [str(e.timestamp_ns), e.line, *([dict(e.metadata)] if e.metadata else [])]
                for e in entries]} for key, entries in group.streams.items()]
            body = json.dumps({"streams": streams}, separators=(",", ":")).encode()
            return gzip.compress(body, 1) if self.cfg.compression == "gzip" else body
        push = PushRequest()
        for key, entries in group.streams.items():
            stream = push.streams.add(labels=key)
            for e in entries:
                entry = stream.entries.add(line=e.line)
                entry.timestamp.FromNanoseconds(e.timestamp_ns)
                for name, value in e.metadata:
                    entry.structuredMetadata.add(name=name, value=value)
        return bytes(self._snappy(push.SerializeToString()))  # type: ignore[call-overload]
