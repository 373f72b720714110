"""The spananalytics exporter: keeps a bounded window of span statistics
(:mod:`otelpy.spananalytics`) and answers on the status extension:

* ``GET /api/spans/analytics?service=&operation=&range=1h&limit=10`` — the spec's
  ``analyze_spans``;
* ``GET /api/dependencies?range=1h`` — the service graph.

``range`` is at most ``window`` (400 past it); ``limit`` (slowest spans) at most
``slowest_spans``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from otelpy.component import Host, Settings, Signal
from otelpy.consumer import Capabilities, Consumer
from otelpy.exporterhelper.metrics import SignalCounters
from otelpy.exporters.spananalytics.config import SpanAnalyticsConfig
from otelpy.pdata import Batch
from otelpy.spananalytics import AnalyticsLimits, SpanWindow
from otelpy.spananalytics.query import analyze_spans, dependencies
from otelpy.statusapi import ApiRequest, api_routes


class SpanAnalyticsExporter(Consumer):
    """A traces exporter that keeps what the analytics API answers from."""

    capabilities = Capabilities(mutates_data=False)

    def __init__(self, settings: Settings, cfg: SpanAnalyticsConfig) -> None:
        self._cfg = cfg
        self._id = str(settings.id)
        self._clock = settings.clock
        self.window = SpanWindow(AnalyticsLimits(
            window=cfg.window, resolution=cfg.resolution, max_operations=cfg.max_operations,
            slowest=cfg.slowest_spans, relative_accuracy=cfg.relative_accuracy,
            store_max_items=cfg.store_max_items, store_ttl=cfg.store_ttl,
            peer_attributes=tuple(cfg.virtual_node_peer_attributes)))
        labels = {"exporter": self._id}
        tel = settings.telemetry
        self._counters = {
            name: tel.counter(f"otelpy_exporter_spananalytics_{name}", doc,
                              ["exporter"]).labels(**labels)
            for name, doc in (
                ("evicted_spans", "Spans whose bucket left the window"),
                ("refused_spans", "Spans of (service, operation) pairs past max_operations"),
                ("refused_edges", "Edges past max_operations in one bucket"),
                ("dropped_spans", "Client/server spans refused by the full pairing store"),
                ("expired_edges", "Pairs that waited store_ttl for their other span"))}
        self._sent = SignalCounters(tel, Signal.TRACES, self._id).sent
        self._reported: dict[str, int] = {}
        self._removers: list[Any] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self, host: Host) -> None:
        routes = api_routes(host)
        if routes is not None and not self._removers:
            self._removers = [
                routes.add("GET", "/spans/analytics", self._analytics, owner=self._id),
                routes.add("GET", "/dependencies", self._dependencies, owner=self._id)]
        if self._task is None:
            self._task = asyncio.create_task(self._expire_loop())

    async def shutdown(self) -> None:
        """Remove the routes and stop the timer. Idempotent."""
        removers, self._removers = self._removers, []
        for remove in removers:
            remove()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _expire_loop(self) -> None:
        while True:
            await self._clock.sleep(min(self._cfg.store_ttl, 1.0))
            self.window.expire_edges(self._clock.monotonic(), self._clock.time_ns())
            self.window.evict(self._clock.time_ns())
            self._report()

    def _report(self) -> None:
        w = self.window
        now = {"evicted_spans": w.evicted_spans, "refused_spans": w.refused_spans,
               "refused_edges": w.refused_edges, "dropped_spans": w.tracker.dropped_spans,
               "expired_edges": w.tracker.expired}
        for name, value in now.items():
            delta = value - self._reported.get(name, 0)
            if delta:
                self._counters[name].inc(delta)
        self._reported = now

    async def consume_traces(self, batch: Batch) -> None:
        self.window.add(batch, self._clock.time_ns(), self._clock.monotonic())
        self._sent.inc(batch.item_count)  # kept in the window (refusals counted apart)
        self._report()

    async def _analytics(self, req: ApiRequest) -> Any:
        range_s = req.duration("range", self._cfg.window, self._cfg.window)
        limit = req.integer("limit", self._cfg.slowest_spans, self._cfg.slowest_spans)
        return analyze_spans(self.window, range_s, self._clock.time_ns(),
                             req.param("service"), req.param("operation"), limit)

    async def _dependencies(self, req: ApiRequest) -> Any:
        range_s = req.duration("range", self._cfg.window, self._cfg.window)
        return dependencies(self.window, range_s, self._clock.time_ns())
