"""The cumulativetodelta processor: cumulative monotonic sums and cumulative histograms become
deltas against the previous point of their stream (the Collector's cumulativetodeltaprocessor).

The first point of a stream has no predecessor: ``initial_value`` decides whether it is sent
as the first delta. A point not after the previous one in time is dropped (``out_of_order``),
as is a NaN sum (a staleness marker) and a point of a new stream when ``max_streams`` are
tracked (``limit``); every drop is counted. A decrease is a reset: the new value is the delta.
Non-monotonic sums, delta metrics, gauges, summaries and exponential histograms pass unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Hashable
from typing import Any

from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality

from otelpy.component import Host, Settings
from otelpy.consumer import Capabilities, Consumer
from otelpy.filtermatch.stringset import StringSet
from otelpy.metricstreams import StreamKeys, StreamTable
from otelpy.pdata import Batch, items
from otelpy.processors.cumulativetodelta.config import CumulativeToDeltaConfig, MatchMetrics
from otelpy.processors.cumulativetodelta.convert import DELTAS

DELTA = AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
CUMULATIVE = AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
_REASONS = ("initial", "out_of_order", "nan", "limit")


class _Matcher:
    def __init__(self, match: MatchMetrics) -> None:
        self.given = match.given()
        self._names = (StringSet(match.metrics, match.match_type or "strict", match.regexp)
                       if match.metrics else None)
        self._types = frozenset(match.metric_types)

    def matches(self, name: str, kind: str) -> bool:
        if self._types and kind not in self._types:
            return False
        return self._names is None or self._names.matches(name)


class CumulativeToDeltaProcessor(Consumer):
    """One instance per metrics pipeline it appears in."""

    capabilities = Capabilities(mutates_data=True)

    def __init__(self, settings: Settings, cfg: CumulativeToDeltaConfig,
                 next_consumer: Consumer) -> None:
        self._next = next_consumer
        self._clock = settings.clock
        self._cfg = cfg
        self._include = _Matcher(cfg.include)
        self._exclude = _Matcher(cfg.exclude)
        self._started_ns = settings.clock.time_ns()
        self.streams: StreamTable[Any] = StreamTable(cfg.stream_limit(), cfg.max_staleness)
        labels = {"processor": str(settings.id)}
        dropped = settings.telemetry.counter(
            "otelpy_cumulativetodelta_dropped_points", "Cumulative points not sent as "
            "deltas, by reason", ["processor", "reason"])
        self._dropped = {r: dropped.labels(reason=r, **labels) for r in _REASONS}
        self._evicted = settings.telemetry.counter(
            "otelpy_cumulativetodelta_evicted_streams",
            "Streams forgotten after max_staleness", ["processor"]).labels(**labels)
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self, host: Host) -> None:
        if self._sweeper is None and self._cfg.max_staleness > 0:
            self._sweeper = asyncio.create_task(self._sweep_loop())

    async def shutdown(self) -> None:
        """Stop the expiry task. Idempotent."""
        task, self._sweeper = self._sweeper, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _sweep_loop(self) -> None:
        interval = min(60.0, self._cfg.max_staleness)
        while True:
            await self._clock.sleep(interval)
            self.expire()

    def expire(self) -> int:
        """Forget streams past max_staleness now; returns how many (also counted)."""
        removed = self.streams.expire(self._clock.monotonic())
        if removed:
            self._evicted.inc(removed)
        return removed

    def _converts(self, metric: Any) -> bool:
        kind = items.point_kind(metric)
        if kind not in DELTAS:
            return False
        data = getattr(metric, kind)
        if data.aggregation_temporality != CUMULATIVE:
            return False
        if kind == "sum" and not data.is_monotonic:
            return False
        if self._include.given and not self._include.matches(metric.name, kind):
            return False
        return not (self._exclude.given and self._exclude.matches(metric.name, kind))

    async def consume_metrics(self, batch: Batch) -> None:
        if any(self._converts(m.metric) for m in items.metrics(batch.message)):
            self.process(batch.mutable_message())
        await self._next.consume_metrics(batch)

    def process(self, request: Any) -> None:
        """Convert the chosen metrics of ``request`` in place; drop points not converted."""
        keys = StreamKeys()
        doomed: set[int] = set()
        now = self._clock.monotonic()
        for res, scope, metric in items.metrics(request):
            if not self._converts(metric):
                continue
            kind = items.point_kind(metric) or ""
            base = keys.metric_key(res, scope, metric, kind)
            data = getattr(metric, kind)
            for point in data.data_points:
                reason = self._convert(keys.point_key(base, point), kind, point, now)
                if reason is not None:
                    self._dropped[reason].inc()
                    doomed.add(id(point))
            data.aggregation_temporality = DELTA
        if doomed:
            items.retain_data_points(request, lambda p: id(p.point) not in doomed)

    def _convert(self, key: Hashable, kind: str, point: Any, now: float) -> str | None:
        if kind == "sum" and point.WhichOneof("value") == "as_double" \
                and math.isnan(point.as_double):
            return "nan"
        previous = self.streams.get(key)
        if previous is not None and point.time_unix_nano <= previous.time_unix_nano:
            return "out_of_order"
        if previous is None and not self.streams.admit(key):
            return "limit"
        copy = type(point)()
        copy.CopyFrom(point)
        self.streams.put(key, copy, now)
        if previous is None:
            return None if self._keep_initial(point) else "initial"
        DELTAS[kind](point, previous)
        point.start_time_unix_nano = previous.time_unix_nano
        return None

    def _keep_initial(self, point: Any) -> bool:
        mode = self._cfg.initial_value
        if mode != "auto":
            return mode == "keep"
        start = point.start_time_unix_nano
        return start != 0 and start != point.time_unix_nano and start > self._started_ns
