"""The servicegraph connector: requests, failures and latency per edge between services (the
Collector's servicegraphconnector).

Client (and producer) spans are paired with the server (and consumer) spans they are parents
of in a bounded store (:mod:`otelpy.spanstats.edges`, reading only the span fields pairing
needs); the edges a batch completes are grouped per series and their durations observed
per series in one call. A paired edge counts one request
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
from otelpy.pdata import Batch
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import Value, set_value
from otelpy.spanstats.edges import Edge, EdgeTracker
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
        self.tracker = EdgeTracker(cfg.store.max_items, cfg.store.ttl, cfg.dimensions,
                                   cfg.virtual_node_peer_attributes, cfg.database_attributes(),
                                   cfg.virtual_node_extra_label)
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
        self._seen = (0, 0, 0)
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
            self._record(self.tracker.expire(float("inf")))
            self._count()
            await self.flush()

    async def _every(self, seconds: float, call: Callable[[], Awaitable[Any]]) -> None:
        while True:
            await self._clock.sleep(seconds)
            await call()

    async def _expire_store(self) -> None:
        self._record(self.tracker.expire(self._clock.monotonic()))
        self._count()

    async def _clean_cache(self) -> None:
        now = self._clock.monotonic()
        for key in [k for k, s in self.series.items() if now - s.updated > STALE_SERIES]:
            del self.series[key]

    def _count(self) -> None:
        now = (self.tracker.total, self.tracker.dropped_spans, self.tracker.expired)
        for counter, was, is_ in zip((self._total_edges, self._dropped_spans,
                                      self._expired_edges), self._seen, now, strict=True):
            if is_ != was:
                counter.inc(is_ - was)
        self._seen = now

    # -- spans and edges ------------------------------------------------------------------
    async def consume_traces(self, batch: Batch) -> None:
        self._record(self.tracker.consume(batch.data, self._clock.monotonic()))
        self._count()
        if self._cfg.metrics_flush_interval <= 0:
            await self.flush()

    def _record(self, edges: list[Edge]) -> None:
        """Count the edges per series: durations observed once per series and batch."""
        groups: dict[tuple[Any, ...], list[Edge]] = {}
        for e in edges:
            key = e[:6]
            group = groups.get(key)
            if group is None:
                groups[key] = [e]
            else:
                group.append(e)
        now = self._clock.monotonic()
        for key, group in groups.items():
            series = self.series.get(key) or self._new_series(key, len(group))
            if series is None:
                continue
            series.total += len(group)
            if key[3]:
                series.failed += len(group)
            series.client.observe_many([e.client_seconds for e in group])
            series.server.observe_many([e.server_seconds for e in group])
            series.updated = now

    def _new_series(self, key: tuple[Any, ...], edges: int) -> _Series | None:
        if len(self.series) >= MAX_SERIES:
            self._dropped_edges.inc(edges)
            return None
        client, server, connection_type, failed, virtual_node, dims = key
        attrs: dict[str, Value] = {"client": client, "server": server,
                                   "connection_type": connection_type, "failed": failed}
        attrs.update(dims)
        if self._cfg.virtual_node_extra_label:
            attrs["virtual_node"] = virtual_node
        series = self.series[key] = _Series(attrs, self._make)
        return series

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


def _attributes(point: Any, attrs: dict[str, Value]) -> None:
    for k, v in attrs.items():
        set_value(point.attributes.add(key=k).value, v)
