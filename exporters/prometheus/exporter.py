"""The prometheus exporter: metrics in, kept by the shared series store, served on /metrics.

Points are accumulated as the Collector's exporter does (deltas summed into cumulative
series, latest point wins, series expire after ``metric_expiration``); a scrape renders the
store in the negotiated format. Rendering runs on the event loop in chunks, yielding between
them, so a large exposition never holds the loop for long; gzip (when asked for) runs in a
worker thread.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Iterable

from aiohttp import web

from otelpy.component import Host, Settings, Signal
from otelpy.config.server import Endpoint
from otelpy.errors import ComponentStartError
from otelpy.exporterhelper import ExporterHelper, OptInRetrySettings
from otelpy.exporters.prometheus.config import PrometheusConfig
from otelpy.pdata import Batch
from otelpy.prometheus import SeriesStore, StoreSettings, negotiate, render_chunks
from otelpy.security import HTTPServerSecurity, http_server_security

_GZIP_MIN_BYTES = 1024


def store_settings(cfg: PrometheusConfig) -> StoreSettings:
    """The series store's settings from the exporter's config."""
    r2t = cfg.resource_to_telemetry_conversion
    return StoreSettings(
        namespace=cfg.namespace, add_metric_suffixes=cfg.with_suffixes(),
        const_labels=tuple(sorted(cfg.const_labels.items())),
        resource_to_telemetry=r2t.enabled,
        exclude_service_attributes=r2t.exclude_service_attributes,
        without_scope_info=cfg.without_scope_info, expiration=cfg.metric_expiration,
        max_series=cfg.max_series)


class PrometheusExporter(ExporterHelper):
    """Accumulates metrics; serves them from ``start`` to ``shutdown``."""

    def __init__(self, settings: Settings, cfg: PrometheusConfig,
                 signals: Iterable[Signal]) -> None:
        super().__init__(settings, signals, cfg.sending_queue, OptInRetrySettings(), 0.0,
                         self._accumulate)
        self.cfg = cfg
        self.store = SeriesStore(store_settings(cfg))
        self._security = HTTPServerSecurity()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None  # the bound port, once started
        tel, exporter = settings.telemetry, str(settings.id)
        self._refused_counter = tel.counter(
            "otelcol_exporter_prometheus_refused_points",
            "Data points the prometheus exporter did not keep, by reason", ["exporter", "reason"])
        self._series_gauge = tel.gauge("otelcol_exporter_prometheus_series",
                                       "Series held by the prometheus exporter", ["exporter"])
        self._expired_counter = tel.counter(
            "otelcol_exporter_prometheus_expired_series",
            "Series removed after metric_expiration without updates", ["exporter"])
        self._exporter = exporter
        self._reported: dict[str, int] = {}
        self._expired_reported = 0

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self, host: Host) -> None:
        """Bind and serve /metrics; raises ComponentStartError naming the endpoint when the
        address cannot be bound."""
        if self._runner is not None:
            return
        await super().start(host)
        endpoint = self.cfg.endpoint
        parsed = Endpoint.parse(endpoint)
        security = self._security = await http_server_security(
            self.cfg.tls, self.cfg.auth, host, self.settings, "")
        app = web.Application(middlewares=security.middlewares)
        app.router.add_get("/metrics", self._scrape)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, parsed.bind_host, parsed.port,
                              ssl_context=security.ssl_context).start()
        except OSError as exc:
            await runner.cleanup()
            await security.close()
            raise ComponentStartError(
                f"cannot listen on {endpoint}: {exc.strerror or exc}") from exc
        self._runner = runner
        addresses = runner.addresses
        self.port = int(addresses[0][1]) if addresses else parsed.port
        self.settings.logger.info("serving /metrics on %s", endpoint)

    async def shutdown(self, drain_timeout: float | None = None) -> None:
        await super().shutdown(drain_timeout)
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self._security.close()

    # -- in ------------------------------------------------------------------------------
    async def _accumulate(self, batch: Batch) -> None:
        self.store.accumulate(batch.message)
        self._report_refusals()

    def _report_refusals(self) -> None:
        for reason, total in self.store.refused.items():
            seen = self._reported.get(reason, 0)
            if total > seen:
                if not seen:
                    self.settings.logger.warning(
                        "data points not kept (reason %s); counted in "
                        "otelcol_exporter_prometheus_refused_points_total", reason)
                self._refused_counter.labels(self._exporter, reason).inc(total - seen)
                self._reported[reason] = total

    # -- out -----------------------------------------------------------------------------
    async def _scrape(self, request: web.Request) -> web.StreamResponse:
        fmt = negotiate(request.headers.get("Accept"), self.cfg.enable_open_metrics)
        parts = []
        for part in render_chunks(self.store, fmt, self.cfg.send_timestamps):
            parts.append(part.encode())
            await asyncio.sleep(0)  # let the loop run between chunks
        body = b"".join(parts)
        self._series_gauge.labels(self._exporter).set(self.store.series_count)
        if self.store.expired > self._expired_reported:
            self._expired_counter.labels(self._exporter).inc(
                self.store.expired - self._expired_reported)
            self._expired_reported = self.store.expired
        headers = {"Content-Type": fmt.content_type}
        if len(body) >= _GZIP_MIN_BYTES and "gzip" in request.headers.get("Accept-Encoding", ""):
            body = await asyncio.to_thread(gzip.compress, body, 1)
            headers["Content-Encoding"] = "gzip"
        return web.Response(body=body, headers=headers)
