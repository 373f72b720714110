"""The spanmetrics connector: R.E.D. metrics from spans (the Collector's spanmetricsconnector).

Per resource with a ``service.name`` and per dimension set (service.name, span.name,
span.kind, status.code, then the configured dimensions) it counts calls
(``<namespace>.calls``, a monotonic sum), records durations (``<namespace>.duration``, an
explicit or exponential histogram in ms or s) and, when enabled, counts span events
(``<namespace>.events``). Every ``metrics_flush_interval`` (on ``settings.clock``) the state
goes to the metrics pipelines as one request: cumulative since each series started, or the
delta since the last flush. Exemplars (trace and span IDs, duration) are cleared at each
flush. Shutdown sends a last flush, so a stop loses no counts (the Collector drops them).

Memory is bounded: at most ``resource_metrics_cache_size`` resources (least recently used
forgotten, counted) and, with ``aggregation_cardinality_limit``, that many series per metric
and resource plus one overflow series ``otel.metric.overflow=true`` that takes every later
dimension set (its spans counted).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from otelpy.component import Host, Settings, Signal
from otelpy.connectors.spanmetrics.aggregate import Aggregator, ResourceState, Series, Table
from otelpy.connectors.spanmetrics.config import SpanMetricsConfig
from otelpy.consumer import Capabilities, Consumer
from otelpy.errors import RetryableError
from otelpy.native._spanscan import span_groups
from otelpy.pdata import Batch, items
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import set_value, to_value
from otelpy.spanstats.spans import service_name

SCOPE = "spanmetricsconnector"
DELTA = AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
CUMULATIVE = AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE


class SpanMetricsConnector(Consumer):
    """Exporter on traces pipelines, receiver on metrics pipelines."""

    capabilities = Capabilities(mutates_data=False)

    def __init__(self, settings: Settings, cfg: SpanMetricsConfig, next_consumer: Consumer
                 ) -> None:
        self._cfg = cfg
        self._next = next_consumer
        self._clock = settings.clock
        self._log = settings.logger
        self.state = Aggregator(cfg)
        self._names = {m: f"{cfg.namespace}.{m}" if cfg.namespace else m
                       for m in ("calls", "duration", "events")}
        self._last_delta: OrderedDict[tuple[Hashable, ...], int] = OrderedDict()
        self._delta_cache = cfg.metric_timestamp_cache_size or 1000
        labels = {"connector": str(settings.id)}
        tel = settings.telemetry
        self._overflow = tel.counter(
            "otelpy_connector_spanmetrics_overflow_spans",
            "Spans counted in the otel.metric.overflow series (aggregation_cardinality_limit)",
            ["connector"]).labels(**labels)
        self._evicted = tel.counter(
            "otelpy_connector_spanmetrics_evicted_resources",
            "Resources forgotten: resource_metrics_cache_size or metrics_expiration",
            ["connector"]).labels(**labels)
        self._flush_failed = tel.counter(
            "otelpy_connector_spanmetrics_flush_failures",
            "Flushes the metrics pipelines refused (cumulative state is kept)",
            ["connector"]).labels(**labels)
        self._series = tel.gauge("otelpy_connector_spanmetrics_series", "Series held",
                                 ["connector"]).labels(**labels)
        self._task: asyncio.Task[None] | None = None
        self._reported = (0, 0)

    async def start(self, host: Host) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._flush_loop())

    async def shutdown(self) -> None:
        """Stop the flush timer and send what is not flushed yet (the Collector drops it).
        Idempotent."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self.flush()

    async def _flush_loop(self) -> None:
        while True:
            await self._clock.sleep(self._cfg.metrics_flush_interval)
            await self.flush()

    # -- consuming ------------------------------------------------------------------------
    async def consume_traces(self, batch: Batch) -> None:
        if self.state.grouped:
            try:
                self.aggregate_bytes(batch.data)
                return
            except (ValueError, DecodeError):
                pass  # the general path reports it as it always did
        self.aggregate(batch.message)

    def aggregate_bytes(self, data: bytes) -> None:
        """:meth:`aggregate` in grouped mode (no span dimensions, exemplars or events) from
        the request's bytes: spans are grouped in C (``otelpy.native._spanscan``), only
        resources and scopes are decoded. Raises ValueError or DecodeError before counting
        anything when the bytes are not a well-formed request."""
        agg = self.state
        exponential = self._cfg.histogram.exponential is not None
        scanned = span_groups(data, None if exponential else agg.bounds, agg.divider)
        decoded = [(Resource.FromString(res),
                    [(InstrumentationScope.FromString(scope) if agg.scopes else None, groups)
                     for scope, groups in scopes])
                   for res, scopes in scanned]
        now, now_ns = self._clock.monotonic(), self._clock.time_ns()
        for resource, scope_groups in decoded:
            service = service_name(resource)
            if service is None:
                continue
            attrs = {kv.key: to_value(kv.value) for kv in resource.attributes
                     if kv.key in agg.resource_keys}
            state = agg.resource(resource, now)
            for scope, groups in scope_groups:
                agg.add_groups(state, service, attrs, scope, groups, now, now_ns)
        self._report()

    def aggregate(self, request: Any) -> None:
        """Add every span of ``request`` (resources without service.name are skipped)."""
        now, now_ns = self._clock.monotonic(), self._clock.time_ns()
        agg = self.state
        current: tuple[Any, ResourceState, str, dict[str, Any]] | None = None
        for res, scope in items.scopes(request):
            if current is None or current[0] is not res:
                service = service_name(res.resource)
                if service is None:
                    current = None
                    continue
                attrs = {kv.key: to_value(kv.value) for kv in res.resource.attributes
                         if kv.key in agg.resource_keys}
                current = (res, agg.resource(res.resource, now), service, attrs)
            _, state, service, attrs = current
            agg.add_scope(state, service, attrs, scope.scope, scope.spans, now, now_ns)
        self._report()

    def _report(self) -> None:
        overflowed, evicted = self.state.overflowed_spans, self.state.evicted_resources
        if overflowed != self._reported[0]:
            self._overflow.inc(overflowed - self._reported[0])
        if evicted != self._reported[1]:
            self._evicted.inc(evicted - self._reported[1])
        self._reported = (overflowed, evicted)

    # -- flushing -------------------------------------------------------------------------
    async def flush(self) -> int:
        """Send the metrics now; returns how many data points went."""
        now_ns = self._clock.time_ns()
        batch = self.build(now_ns)
        self._reset(self._clock.monotonic())
        if batch is None:
            return 0
        try:
            await self._next.consume_metrics(batch)
        except RetryableError as exc:
            self._flush_failed.inc()
            self._log.warning("spanmetrics: metrics pipelines refused a flush: %s", exc)
            return 0
        return batch.item_count

    def build(self, now_ns: int) -> Batch | None:
        """The request a flush at ``now_ns`` sends, or None when there is nothing."""
        builder = RequestBuilder(Signal.METRICS)
        series_count = 0
        delta = self._cfg.delta
        for state in self.state.resources.values():
            if not (state.calls or state.durations or state.events):
                continue
            scope = builder.scope(state.attributes, SCOPE)
            self._sum(scope.metrics.add(name=self._names["calls"]), state.calls, 0, now_ns)
            if state.events:
                self._sum(scope.metrics.add(name=self._names["events"]), state.events, 1,
                          now_ns)
            if not self._cfg.histogram.disable:
                metric = scope.metrics.add(name=self._names["duration"],
                                           unit=self._cfg.histogram.unit)
                self._histograms(metric, state.durations, now_ns)
            series_count += len(state.calls) + len(state.durations) + len(state.events)
        self._series.set(series_count)
        if delta:
            for key in list(self._last_delta)[:-self._delta_cache or None]:
                del self._last_delta[key]
        return builder.batch() if builder else None

    def _start(self, table_id: int, key: tuple[Hashable, ...], series: Series,
               now_ns: int) -> int:
        if not self._cfg.delta:
            return series.start_ns
        full = (table_id, *key)
        start = self._last_delta.pop(full, series.start_ns)
        self._last_delta[full] = now_ns
        return start

    def _sum(self, metric: Any, table: Table, table_id: int, now_ns: int) -> None:
        data = metric.sum
        data.is_monotonic = True
        data.aggregation_temporality = DELTA if self._cfg.delta else CUMULATIVE
        for key, series in table.items():
            point = data.data_points.add(
                start_time_unix_nano=self._start(table_id, key, series, now_ns),
                time_unix_nano=now_ns, as_int=series.count)
            _attributes(point, series)
            if series.exemplars is not None:
                series.exemplars.fill(point.exemplars)

    def _histograms(self, metric: Any, table: Table, now_ns: int) -> None:
        exponential = self._cfg.histogram.exponential is not None
        data = metric.exponential_histogram if exponential else metric.histogram
        data.aggregation_temporality = DELTA if self._cfg.delta else CUMULATIVE
        for key, series in table.items():
            assert series.histogram is not None
            point = data.data_points.add(
                start_time_unix_nano=self._start(2, key, series, now_ns),
                time_unix_nano=now_ns)
            series.histogram.fill(point)
            _attributes(point, series)
            if series.exemplars is not None:
                series.exemplars.fill(point.exemplars)

    def _reset(self, now: float) -> None:
        agg = self.state
        if self._cfg.delta:
            agg.resources.clear()
            return
        expiration, series_expiration = self._cfg.metrics_expiration, self._cfg.series_expiration
        for key, state in list(agg.resources.items()):
            if expiration and now - state.last_seen >= expiration:
                del agg.resources[key]
                agg.evicted_resources += 1
                continue
            for table in (state.calls, state.durations, state.events):
                for skey, series in list(table.items()):
                    if series_expiration and now - series.last_seen >= series_expiration:
                        del table[skey]
                        state.targets.clear()
                    elif series.exemplars is not None:
                        series.exemplars.clear()
        self._report()


def _attributes(point: Any, series: Series) -> None:
    for k, v in series.attributes.items():
        set_value(point.attributes.add(key=k).value, v)
