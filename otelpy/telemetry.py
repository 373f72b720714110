"""otelpy's own metrics (Prometheus format, the Collector's names) and logging setup.

Metric families are created on first use and cached by name, so components and
the engine share one registry per process. Counters are exposed with the
``_total`` suffix, as the Collector's Prometheus exporter does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

import psutil
from aiohttp import web
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

from otelpy.component import Signal
from otelpy.config.telemetry import LogsTelemetryConfig
from otelpy.ownlogs import configure_logging

ITEM_SUFFIX = {Signal.TRACES: "spans", Signal.METRICS: "metric_points", Signal.LOGS: "log_records"}

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# prometheus_client ships py.typed but leaves this function unannotated
_disable_created_metrics = cast(Callable[[], None], disable_created_metrics)

_Metric = TypeVar("_Metric", Counter, Gauge, Histogram)


class _ProcessCollector:
    """otelcol_process_* gauges, read when scraped."""

    def __init__(self) -> None:
        self._proc = psutil.Process(os.getpid())
        self._start = time.time()

    def collect(self) -> list[GaugeMetricFamily]:
        cpu = self._proc.cpu_times()
        mem = self._proc.memory_info()
        return [
            GaugeMetricFamily("otelcol_process_uptime", "Uptime of the process (s)",
                              value=time.time() - self._start),
            GaugeMetricFamily("otelcol_process_cpu_seconds", "CPU user+system time (s)",
                              value=cpu.user + cpu.system),
            GaugeMetricFamily("otelcol_process_memory_rss", "Resident set size (bytes)",
                              value=mem.rss),
        ]


class Telemetry:
    """One process's self-metrics registry."""

    def __init__(self) -> None:
        _disable_created_metrics()  # the Collector exposes no *_created series
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(_ProcessCollector())
        self._metrics: dict[str, Counter | Gauge | Histogram] = {}

    def _family(self, name: str, kind: type[_Metric], create: Callable[[], _Metric]) -> _Metric:
        """The metric ``name``, made by ``create`` on first use.

        Raises TypeError when ``name`` was first created as another kind of metric.
        """
        metric = self._metrics.get(name)
        if metric is None:
            metric = self._metrics[name] = create()
        if not isinstance(metric, kind):
            raise TypeError(f"metric {name!r} is a {type(metric).__name__}, "
                            f"not a {kind.__name__}")
        return metric

    def counter(self, name: str, doc: str, labels: Sequence[str]) -> Counter:
        """The counter ``name`` (exposed as ``name_total``), created on first use."""
        return self._family(name, Counter, lambda: Counter(name, doc, list(labels),
                                                           registry=self.registry))

    def gauge(self, name: str, doc: str, labels: Sequence[str]) -> Gauge:
        """The gauge ``name``, created on first use."""
        return self._family(name, Gauge, lambda: Gauge(name, doc, list(labels),
                                                       registry=self.registry))

    def histogram(
        self, name: str, doc: str, labels: Sequence[str], buckets: Sequence[float]
    ) -> Histogram:
        """The histogram ``name``, created on first use (``buckets`` apply then)."""
        return self._family(name, Histogram, lambda: Histogram(
            name, doc, list(labels), registry=self.registry, buckets=list(buckets)))

    def items(self, what: str, signal: Signal, doc: str, labels: Sequence[str]) -> Counter:
        """A per-signal item counter: ``items("otelcol_receiver_accepted", TRACES, ...)``
        is ``otelcol_receiver_accepted_spans``."""
        return self.counter(f"{what}_{ITEM_SUFFIX[signal]}", doc, labels)

    def value(self, name: str, labels: dict[str, str] | None = None) -> float:
        """Current value of one sample (0 if absent); for tests and status pages."""
        v = self.registry.get_sample_value(name, labels or {})
        return 0.0 if v is None else v

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def setup_logging(level: str = "info", encoding: str = "console") -> None:
    """otelpy's default log output (stderr) at ``level``; see :mod:`otelpy.ownlogs`."""
    configure_logging(LogsTelemetryConfig(level=level, encoding=encoding))


class MetricsServer:
    """Serves the registry in Prometheus text format at ``http://<address>/metrics``."""

    def __init__(self, telemetry: Telemetry, address: str) -> None:
        self.telemetry = telemetry
        self.address = address
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Bind and serve; raises OSError naming the address if it cannot bind."""
        host, _, port = self.address.rpartition(":")
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host or "0.0.0.0", int(port)).start()
        except OSError as exc:
            await runner.cleanup()
            raise OSError(f"cannot serve own metrics on {self.address}: {exc.strerror}") from exc
        self._runner = runner

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=self.telemetry.exposition(),
                            headers={"Content-Type": CONTENT_TYPE})

    async def shutdown(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
