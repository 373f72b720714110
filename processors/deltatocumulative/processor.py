"""The deltatocumulative processor: delta sums, histograms and exponential histograms become
cumulative, accumulated per stream (the Collector's deltatocumulativeprocessor).

Per stream the first sample starts the series (its start time is the series' start time);
each later sample is added and the point is rewritten with the running total. A sample whose
start time is older than the series' start, or whose time is not after the last sample's, is
dropped and counted (``older_start``, ``out_of_order``); so is a sample of a new stream when
``max_streams`` streams are tracked (``limit``). Streams without a sample for ``max_stale``
are forgotten (counted as evicted). Cumulative metrics, gauges and summaries pass unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Hashable
from typing import Any

from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality

from otelpy.component import Host, Settings
from otelpy.consumer import Capabilities, Consumer
from otelpy.metricstreams import StreamKeys, StreamTable
from otelpy.pdata import Batch, items
from otelpy.processors.deltatocumulative.accumulate import ADDERS
from otelpy.processors.deltatocumulative.config import DeltaToCumulativeConfig

DELTA = AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
CUMULATIVE = AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
_SWEEP_EVERY = 60.0


class DeltaToCumulativeProcessor(Consumer):
    """One instance per metrics pipeline it appears in."""

    capabilities = Capabilities(mutates_data=True)

    def __init__(self, settings: Settings, cfg: DeltaToCumulativeConfig,
                 next_consumer: Consumer) -> None:
        self._next = next_consumer
        self._clock = settings.clock
        self._log = settings.logger
        self.streams: StreamTable[Any] = StreamTable(cfg.stream_limit(), cfg.max_stale)
        labels = {"processor": str(settings.id)}
        dropped = settings.telemetry.counter(
            "otelpy_deltatocumulative_dropped_points", "Delta samples dropped, by reason",
            ["processor", "reason"])
        self._dropped = {reason: dropped.labels(reason=reason, **labels)
                         for reason in ("older_start", "out_of_order", "limit")}
        self._evicted = settings.telemetry.counter(
            "otelpy_deltatocumulative_evicted_streams",
            "Streams forgotten after max_stale without a sample", ["processor"]).labels(**labels)
        self._tracked = settings.telemetry.gauge(
            "otelpy_deltatocumulative_streams", "Streams tracked", ["processor"]).labels(**labels)
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self, host: Host) -> None:
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_loop())

    async def shutdown(self) -> None:
        """Stop the expiry task. Idempotent."""
        task, self._sweeper = self._sweeper, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _sweep_loop(self) -> None:
        interval = min(_SWEEP_EVERY, self.streams.max_stale)
        while True:
            await self._clock.sleep(interval)
            self.expire()

    def expire(self) -> int:
        """Forget streams past max_stale now; returns how many (also counted)."""
        removed = self.streams.expire(self._clock.monotonic())
        if removed:
            self._evicted.inc(removed)
        self._tracked.set(len(self.streams))
        return removed

    async def consume_metrics(self, batch: Batch) -> None:
        request = batch.message
        if any(_is_delta(m.metric) for m in items.metrics(request)):
            self.process(batch.mutable_message())
        await self._next.consume_metrics(batch)

    def process(self, request: Any) -> None:
        """Accumulate every delta metric of ``request`` in place; drop refused samples."""
        keys = StreamKeys()
        doomed: set[int] = set()
        now = self._clock.monotonic()
        for res, scope, metric in items.metrics(request):
            if not _is_delta(metric):
                continue
            kind = items.point_kind(metric) or ""
            base = keys.metric_key(res, scope, metric, kind)
            data = getattr(metric, kind)
            for point in data.data_points:
                reason = self._accumulate(keys.point_key(base, point), kind, point, now)
                if reason is not None:
                    self._dropped[reason].inc()
                    doomed.add(id(point))
            data.aggregation_temporality = CUMULATIVE
        if doomed:
            items.retain_data_points(request, lambda p: id(p.point) not in doomed)
        self._tracked.set(len(self.streams))

    def _accumulate(self, key: Hashable, kind: str, point: Any, now: float) -> str | None:
        """Add ``point`` to its stream and rewrite it as the running total; or say why not."""
        state = self.streams.get(key)
        if state is None:
            if not self.streams.admit(key):
                return "limit"
            self.streams.put(key, _copy(point), now)
            return None
        if point.start_time_unix_nano < state.start_time_unix_nano:
            return "older_start"
        if point.time_unix_nano <= state.time_unix_nano:
            return "out_of_order"
        if not ADDERS[kind](state, point):
            state = _copy(point)  # incompatible buckets: the series starts again
        state.time_unix_nano = point.time_unix_nano
        self.streams.put(key, state, now)
        _rewrite(point, state)
        return None


def _is_delta(metric: Any) -> bool:
    kind = items.point_kind(metric)
    if kind is None or kind not in ADDERS:
        return False
    return bool(getattr(metric, kind).aggregation_temporality == DELTA)


def _copy(point: Any) -> Any:
    state = type(point)()
    state.CopyFrom(point)
    state.ClearField("exemplars")
    return state


def _rewrite(point: Any, state: Any) -> None:
    """Give ``point`` the state's values and start time, keeping its attributes, exemplars
    and flags."""
    exemplars = list(point.exemplars)
    attributes = list(point.attributes)
    flags = point.flags
    point.CopyFrom(state)
    point.flags = flags
    del point.attributes[:]  # same stream, maybe another order: keep the sample's
    point.attributes.extend(attributes)
    point.exemplars.extend(exemplars)
