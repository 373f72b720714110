"""Counts log records per pattern and emits the counts as metrics.

One monotonic cumulative sum, ``log.pattern.records``, per (``service.name``, pattern ID),
with the attributes ``log.pattern.id`` and ``log.pattern.template``; emitted every
``interval`` and at shutdown, under a resource holding ``service.name``.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality

from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.connectors.logpattern.config import LogPatternCountsConfig
from otelpy.consumer import Capabilities, Consumer
from otelpy.errors import PermanentError, RetryableError
from otelpy.pdata import Batch, items
from otelpy.pdata.build import RequestBuilder

METRIC = "log.pattern.records"
SCOPE = "otelpy/connector/logpattern"


@dataclass
class _Series:
    template: str
    count: int
    start_ns: int


class LogPatternCounts(Consumer, ComponentBase):
    """logs -> metrics: per-pattern record counts."""

    capabilities = Capabilities(mutates_data=False)

    def __init__(self, settings: Settings, cfg: LogPatternCountsConfig,
                 next_consumer: Consumer) -> None:
        self._settings, self._cfg, self._next = settings, cfg, next_consumer
        self._series: dict[tuple[str, str], _Series] = {}
        self._dropped = settings.telemetry.counter(
            "otelpy_connector_logpattern_series_dropped",
            "Log records not counted: their series would pass max_series",
            ["connector"]).labels(connector=str(settings.id))
        self._task: asyncio.Task[None] | None = None

    async def consume_logs(self, batch: Batch) -> None:
        series, cfg = self._series, self._cfg
        now = self._settings.clock.time_ns()
        dropped = 0
        for item in items.log_records(batch.message):
            attrs = item.attributes
            value = attrs.get(cfg.id_attribute)
            if value is None or isinstance(value, (dict, list, bytes)):
                continue
            pattern = str(value)
            service = item.resource_attributes.get("service.name")
            key = (service if isinstance(service, str) else "", pattern)
            found = series.get(key)
            if found is None:
                if len(series) >= cfg.max_series:
                    dropped += 1
                    continue
                template = attrs.get(cfg.template_attribute)
                found = series[key] = _Series(template if isinstance(template, str) else "",
                                              0, now)
            found.count += 1
        if dropped:
            self._dropped.inc(dropped)

    def collect(self) -> Batch | None:
        """The current counts as a metrics batch (None when nothing was counted yet)."""
        if not self._series:
            return None
        now = self._settings.clock.time_ns()
        builder = RequestBuilder(Signal.METRICS)
        metrics: dict[str, object] = {}
        for (service, pattern), s in self._series.items():
            resource = {"service.name": service} if service else {}
            scope = builder.scope(resource, SCOPE)
            metric = metrics.get(service)
            if metric is None:
                metric = metrics[service] = scope.metrics.add(
                    name=METRIC, unit="{record}",
                    description="Log records per pattern (logpattern processor)")
                metric.sum.is_monotonic = True  # type: ignore[attr-defined]
                metric.sum.aggregation_temporality = (  # type: ignore[attr-defined]
                    AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
            point = metric.sum.data_points.add(  # type: ignore[attr-defined]
                start_time_unix_nano=s.start_ns, time_unix_nano=now, as_int=s.count)
            for key, value in (("log.pattern.id", pattern), ("log.pattern.template", s.template)):
                point.attributes.add(key=key).value.string_value = value
        return builder.batch()

    async def _emit(self) -> None:
        batch = self.collect()
        if batch is not None:
            await self._next.consume_metrics(batch)

    async def _loop(self) -> None:
        while True:
            await self._settings.clock.sleep(self._cfg.interval)
            try:
                await self._emit()
            except (RetryableError, PermanentError) as exc:  # counts stay for the next round
                self._settings.logger.warning("emitting pattern counts failed: %s", exc)

    async def start(self, host: Host) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._loop(), name=f"{self._settings.id} pattern counts")

    async def shutdown(self) -> None:
        """Stop the timer and emit the counts one last time; idempotent."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await self._emit()
