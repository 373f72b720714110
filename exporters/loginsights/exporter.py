"""The loginsights exporter: keeps a bounded window of log statistics
(:mod:`otelpy.loginsights`) and answers on the status extension:

* ``GET /api/logs/insights?range=1h&severity=ERROR,WARN&service=...&limit=20`` — the spec's
  ``analyze_logs``.

``range`` is at most ``window`` and ``limit`` at most ``max_results`` (400 past them); an
unknown severity is a 400.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from otelpy.component import Host, Settings, Signal
from otelpy.consumer import Capabilities, Consumer
from otelpy.exporterhelper.metrics import SignalCounters
from otelpy.exporters.loginsights.config import LogInsightsConfig
from otelpy.loginsights import Filters, InsightsLimits, LogWindow, MetricSpec, analyze_logs
from otelpy.pdata import Batch
from otelpy.pdata.severity import parse_level
from otelpy.statusapi import ApiError, ApiRequest, api_routes

DEFAULT_LIMIT = 20


class LogInsightsExporter(Consumer):
    """A logs and metrics exporter that keeps what the insights API answers from."""

    capabilities = Capabilities(mutates_data=False)

    def __init__(self, settings: Settings, cfg: LogInsightsConfig) -> None:
        self._cfg = cfg
        self._id = str(settings.id)
        self._clock = settings.clock
        self.window = LogWindow(InsightsLimits(
            window=cfg.window, resolution=cfg.resolution, max_services=cfg.max_services,
            max_patterns=cfg.max_patterns, max_anomalies=cfg.max_anomalies,
            metrics=tuple(MetricSpec(c.metric, c.aggregation) for c in cfg.correlate),
            id_attribute=cfg.id_attribute, template_attribute=cfg.template_attribute))
        labels = {"exporter": self._id}
        tel = settings.telemetry
        self._counters = {
            name: tel.counter(f"otelpy_exporter_loginsights_{name}", doc,
                              ["exporter"]).labels(**labels)
            for name, doc in (
                ("evicted_records", "Records whose bucket left the window"),
                ("refused_records", "Records of services past max_services"),
                ("refused_patterns", "Records whose pattern was not kept (max_patterns)"),
                ("evicted_anomalies", "log.anomaly events dropped past max_anomalies"))}
        self._sent_logs = SignalCounters(tel, Signal.LOGS, self._id).sent
        self._sent_metrics = SignalCounters(tel, Signal.METRICS, self._id).sent
        self._reported: dict[str, int] = {}
        self._remove: Any = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, host: Host) -> None:
        routes = api_routes(host)
        if routes is not None and self._remove is None:
            self._remove = routes.add("GET", "/logs/insights", self._insights, owner=self._id)
        if self._task is None:
            self._task = asyncio.create_task(self._evict_loop())

    async def shutdown(self) -> None:
        """Remove the route and stop the timer. Idempotent."""
        remove, self._remove = self._remove, None
        if remove is not None:
            remove()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _evict_loop(self) -> None:
        while True:
            await self._clock.sleep(self._cfg.resolution)
            self.window.evict(self._clock.time_ns())
            self._report()

    def _report(self) -> None:
        w = self.window
        now = {"evicted_records": w.evicted_records, "refused_records": w.refused_records,
               "refused_patterns": w.refused_patterns, "evicted_anomalies": w.evicted_anomalies}
        for name, value in now.items():
            delta = value - self._reported.get(name, 0)
            if delta:
                self._counters[name].inc(delta)
        self._reported = now

    async def consume_logs(self, batch: Batch) -> None:
        self.window.add_logs(batch.message, self._clock.time_ns())
        self._sent_logs.inc(batch.item_count)  # kept in the window (refusals counted apart)
        self._report()

    async def consume_metrics(self, batch: Batch) -> None:
        self.window.add_metrics(batch.message, self._clock.time_ns())
        self._sent_metrics.inc(batch.item_count)

    async def _insights(self, req: ApiRequest) -> Any:
        cfg = self._cfg
        range_s = req.duration("range", cfg.window, cfg.window)
        limit = req.integer("limit", min(DEFAULT_LIMIT, cfg.max_results), cfg.max_results)
        names = req.values("severity") + req.values("level")
        levels = set()
        for name in names:
            level = parse_level(name)
            if level is None:
                raise ApiError(400, f"severity: unknown level {name!r} (TRACE, DEBUG, INFO, "
                                    "WARN, ERROR, FATAL, UNSPECIFIED)")
            levels.add(level)
        filters = Filters(frozenset(levels) if names else None, req.param("service"))
        return analyze_logs(self.window, range_s, self._clock.time_ns(), filters, limit,
                            cfg.min_correlation_buckets)
