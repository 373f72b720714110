"""The prometheus receiver: a scrape manager whose results become OTLP metrics requests."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping

from otelpy import __version__
from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Consumer
from otelpy.errors import ComponentStartError, ConsumerError
from otelpy.prometheus.manager import ScrapeManager
from otelpy.prometheus.scrape import ScrapeResult
from otelpy.receivers.prometheus.config import PrometheusReceiverConfig
from otelpy.receivers.prometheus.convert import Converter

__all__ = ["PrometheusReceiver"]

MIN_GC_INTERVAL = 60.0


class PrometheusReceiver(ComponentBase):
    """Scrapes every target of ``cfg.config`` and sends each scrape downstream.

    ``start`` returns once every job has its first targets (scrapes follow on their own
    schedule); a target that fails is reported through ``up`` 0 and the
    ``otelpy_receiver_prometheus_scrapes{outcome="failed"}`` counter. ``shutdown`` stops
    every loop, sending staleness markers for the series last seen, and is idempotent.
    """

    def __init__(self, settings: Settings, cfg: PrometheusReceiverConfig,
                 consumers: Mapping[Signal, Consumer]) -> None:
        self.settings, self.cfg = settings, cfg
        self.next = consumers[Signal.METRICS]
        self.converter = Converter(settings.logger, cfg.trim_metric_suffixes)
        self.manager: ScrapeManager | None = None
        self._gc: asyncio.Task[None] | None = None
        self._scrapes = settings.telemetry.counter(
            "otelpy_receiver_prometheus_scrapes", "Scrapes by the prometheus receiver, by "
            "outcome (ok or failed)", ["receiver", "job", "outcome"])
        self._refused = settings.telemetry.counter(
            "otelpy_receiver_prometheus_refused_scrapes", "Scrape results the pipeline "
            "refused (their points are counted in otelcol_receiver_refused_metric_points)",
            ["receiver", "job"])
        self._dropped = settings.telemetry.counter(
            "otelpy_receiver_prometheus_dropped_points", "Points of a scrape left out because "
            "they cannot be converted (a histogram whose buckets fall, a count that is not a "
            "finite count, a family of mixed types)", ["receiver", "job"])
        intervals = [cfg.config.interval(job) for job in cfg.config.scrape_configs]
        self.gc_interval = max([MIN_GC_INTERVAL, *intervals])

    async def start(self, host: Host | None = None) -> None:
        try:
            self.manager = ScrapeManager(self.cfg.config, self._deliver, self.settings.clock,
                                         self.settings.logger, f"otelpy/{__version__}")
        except (OSError, ssl.SSLError, ValueError) as exc:
            raise ComponentStartError(
                f"receiver {self.settings.id}: config::scrape_configs: {exc}") from exc
        await self.manager.start()
        self._gc = asyncio.get_running_loop().create_task(self._sweep(), name="prometheus gc")
        self.settings.logger.info("receiver %s: scraping %d targets of %d jobs",
                                  self.settings.id, len(self.manager.targets()),
                                  len(self.manager.jobs))

    async def _sweep(self) -> None:
        while True:
            await self.settings.clock.sleep(self.gc_interval)
            self.converter.start_times.sweep()

    async def _deliver(self, result: ScrapeResult) -> None:
        receiver, job = str(self.settings.id), result.target.job
        if result.report:
            self._scrapes.labels(receiver, job, "failed" if result.error else "ok").inc()
        problems = self.converter.problems
        batch = self.converter.convert(result)
        if self.converter.problems != problems:
            self._dropped.labels(receiver, job).inc(self.converter.problems - problems)
        if batch is None:
            return
        try:
            await self.next.consume_metrics(batch)
        except ConsumerError as exc:
            self._refused.labels(receiver, job).inc()
            self.settings.logger.warning("receiver %s: scrape of %s refused downstream: %s",
                                         receiver, result.target.url, exc)

    async def shutdown(self) -> None:
        if self._gc is not None:
            self._gc.cancel()
            try:
                await self._gc
            except asyncio.CancelledError:
                pass
            self._gc = None
        manager, self.manager = self.manager, None
        if manager is not None:
            await manager.stop()
