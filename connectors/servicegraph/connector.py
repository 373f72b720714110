"""The servicegraph connector: requests, failures and latency per edge between services (the
Collector's servicegraphconnector).

Client (and producer) spans are paired with the server (and consumer) spans they are parents
of in a bounded store (:mod:`otelpy.spanstats.edges`). A paired edge counts one request
(``traces_service_graph_request_total``), one failure when either side has status ERROR
(``traces_service_graph_request_failed_total``) and the client's and server's durations
(``traces_service_graph_request_client`` / ``..._server``, seconds; Prometheus exposes them
with the ``_seconds`` suffix). Edges that waited ``store.ttl`` expire (counted) and become
virtual node edges. Metrics are cumulative from the connector's start and are sent every
``metrics_flush_interval`` (or after each batch when it is 0). Series not updated for 15
minutes are forgotten every ``cache_loop``; at most 10,000 series are kept (edges of further
series are counted and dropped). At shutdown the edges still waiting expire and a last flush
goes out.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality

from otelpy.component import Host, Settings, Signal
from otelpy.connectors.servicegraph.config import DEFAULT_BUCKETS_S, ServiceGraphConfig
from otelpy.consumer import Capabilities, Consumer
from otelpy.errors import RetryableError
from otelpy.pdata import Batch, items
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import Value, set_value
from otelpy.spanstats.edges import Edge, EdgeStore, EdgeTracker
from otelpy.spanstats.histograms import ExplicitHistogram, ExponentialHistogram

SCOPE = "traces_service_graph"
CUMULATIVE = AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
MAX_SERIES = 10_000
STALE_SERIES = 15 * 60.0

Histogram = ExplicitHistogram | ExponentialHistogram


class _Series:
    __slots__ = ("attributes", "total", "failed", "client", "server", "updated")

    def __init__(self, attributes: dict[str, Value], make: Callable[[], Histogram]) -> None:
        self.attributes = attributes
        self.total = 0
        self.failed = 0
        self.client = make()
        self.server = make()
        self.updated = 0.0


class ServiceGraphConnector(Consumer):
    """Exporter on traces pipelines, receiver on metrics pipelines."""

    capabilities = Capabilities(mutates_data=False)

    def __init__(self, settings: Settings, cfg: ServiceGraphConfig, next_consumer: Consumer
                 ) -> None:
        self._cfg = cfg
        self._next = next_consumer
        self._clock = settings.clock
        self._log = settings.logger
        self.store = EdgeStore(cfg.store.max_items, cfg.store.ttl, self._complete, self._expire)
        self.tracker = EdgeTracker(self.store, cfg.dimensions, cfg.virtual_node_peer_attributes,
                                   cfg.database_attributes())
        bounds = (list(cfg.latency_histogram_buckets) if cfg.latency_histogram_buckets
                  is not None else list(DEFAULT_BUCKETS_S))
        size = cfg.exponential_histogram_max_size
        self._make: Callable[[], Histogram] = (
            (lambda: ExponentialHistogram(size)) if size else (lambda: ExplicitHistogram(bounds)))
        self.series: dict[tuple[Any, ...], _Series] = {}
        self._start_ns = settings.clock.time_ns()
        labels = {"connector": str(settings.id)}
        tel = settings.telemetry

        def counter(name: str, doc: str) -> Any:
            return tel.counter(name, doc, ["connector"]).labels(**labels)

        self._total_edges = counter("otelpy_connector_servicegraph_total_edges",
                                    "Edges opened in the store")
        self._expired_edges = counter("otelpy_connector_servicegraph_expired_edges",
                                      "Edges that expired before both spans were seen")
        self._dropped_spans = counter("otelpy_connector_servicegraph_dropped_spans",
                                      "Spans refused because the store was full (max_items)")
        self._dropped_edges = counter("otelpy_connector_servicegraph_dropped_edges",
                                      f"Edges of new series past {MAX_SERIES} series")
        self._seen = (0, 0)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, host: Host) -> None:
        if self._tasks:
            return
        loops: list[tuple[float, Callable[[], Awaitable[Any]]]] = [
            (self._cfg.store_expiration_loop, self._expire_store),
            (self._cfg.cache_loop, self._clean_cache)]
        if self._cfg.metrics_flush_interval > 0:
            loops.append((self._cfg.metrics_flush_interval, self.flush))
        self._tasks = [asyncio.create_task(self._every(s, f)) for s, f in loops]

    async def shutdown(self) -> None:
        """Stop the timers, expire every edge still waiting (counted; virtual nodes) and send
        a last flush (the Collector drops both). Idempotent."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if tasks:
            self.store.expire(float("inf"))
            self._count()
            await self.flush()

    async def _every(self, seconds: float, call: Callable[[], Awaitable[Any]]) -> None:
        while True:
            await self._clock.sleep(seconds)
            await call()

    async def _expire_store(self) -> None:
        self.store.expire(self._clock.monotonic())
        self._count()

    async def _clean_cache(self) -> None:
        now = self._clock.monotonic()
        for key in [k for k, s in self.series.items() if now - s.updated > STALE_SERIES]:
            del self.series[key]

    def _count(self) -> None:
        total, dropped = self.store.total, self.store.dropped_spans
        if total != self._seen[0]:
            self._total_edges.inc(total - self._seen[0])
        if dropped != self._seen[1]:
            self._dropped_spans.inc(dropped - self._seen[1])
        self._seen = (total, dropped)

    # -- spans and edges ------------------------------------------------------------------
    async def consume_traces(self, batch: Batch) -> None:
        request = batch.message
        self.tracker.consume(((r.resource, _spans(r)) for r in _resource_spans(request)),
                             self._clock.monotonic())
        self._count()
        if self._cfg.metrics_flush_interval <= 0:
            await self.flush()

    def _complete(self, e: Edge) -> None:
        dims = sorted(e.dimensions.items())
        key = (e.client, e.server, e.connection_type, e.failed, e.virtual_node, *dims)
        series = self.series.get(key)
        if series is None:
            if len(self.series) >= MAX_SERIES:
                self._dropped_edges.inc()
                return
            attrs: dict[str, Value] = {"client": e.client, "server": e.server,
                                       "connection_type": e.connection_type,
                                       "failed": e.failed}
            attrs.update(dict(dims))
            if self._cfg.virtual_node_extra_label:
                attrs["virtual_node"] = e.virtual_node
            series = self.series[key] = _Series(attrs, self._make)
        series.total += 1
        series.failed += e.failed
        series.client.observe(e.client_seconds)
        series.server.observe(e.server_seconds)
        series.updated = self._clock.monotonic()

    def _expire(self, e: Edge) -> None:
        self._expired_edges.inc()
        for edge in self.tracker.virtual_edges(e, self._cfg.virtual_node_extra_label):
            self._complete(edge)

    # -- metrics --------------------------------------------------------------------------
    async def flush(self) -> int:
        """Send the cumulative metrics now; returns how many data points went."""
        batch = self.build(self._clock.time_ns() - round(self._cfg.metrics_timestamp_offset
                                                         * 1e9))
        if batch is None:
            return 0
        try:
            await self._next.consume_metrics(batch)
        except RetryableError as exc:
            self._log.warning("servicegraph: metrics pipelines refused a flush: %s", exc)
            return 0
        return batch.item_count

    def build(self, now_ns: int) -> Batch | None:
        if not self.series:
            return None
        builder = RequestBuilder(Signal.METRICS)
        scope = builder.scope({}, SCOPE)
        series = list(self.series.values())
        self._sum(scope.metrics.add(name="traces_service_graph_request_total"), series,
                  lambda s: s.total, now_ns)
        failed = [s for s in series if s.failed]
        if failed:
            self._sum(scope.metrics.add(name="traces_service_graph_request_failed_total"),
                      failed, lambda s: s.failed, now_ns)
        for side in ("server", "client"):
            metric = scope.metrics.add(name=f"traces_service_graph_request_{side}", unit="s")
            exponential = self._cfg.exponential_histogram_max_size > 0
            data = metric.exponential_histogram if exponential else metric.histogram
            data.aggregation_temporality = CUMULATIVE
            for s in series:
                point = data.data_points.add(start_time_unix_nano=self._start_ns,
                                             time_unix_nano=now_ns)
                getattr(s, side).fill(point)
                _attributes(point, s.attributes)
        return builder.batch()

    def _sum(self, metric: Any, series: list[_Series], value: Callable[[_Series], int],
             now_ns: int) -> None:
        metric.sum.is_monotonic = True
        metric.sum.aggregation_temporality = CUMULATIVE
        for s in series:
            point = metric.sum.data_points.add(start_time_unix_nano=self._start_ns,
                                               time_unix_nano=now_ns, as_int=value(s))
            _attributes(point, s.attributes)


def _resource_spans(request: Any) -> Any:
    return (r.resource for r in items.resources(request))


def _spans(resource_spans: Any) -> Any:
    return (span for scope in resource_spans.scope_spans for span in scope.spans)


def _attributes(point: Any, attrs: dict[str, Value]) -> None:
    for k, v in attrs.items():
        set_value(point.attributes.add(key=k).value, v)
