"""The anomaly processor: one online detector per selected series; scores ride along as gauges."""

from __future__ import annotations

from typing import Any

from otelpy.anomaly.series import Scored, SeriesTable
from otelpy.anomaly.store import state_keeper
from otelpy.component import ComponentBase, Host, Settings
from otelpy.consumer import Capabilities, Consumer
from otelpy.pdata import Batch
from otelpy.processors.anomaly.config import AnomalyConfig


class AnomalyProcessor(Consumer, ComponentBase):
    """Scores gauge and sum data points; adds one ``<name><suffix>`` gauge per scored metric."""

    capabilities = Capabilities(mutates_data=True)

    def __init__(self, settings: Settings, cfg: AnomalyConfig, next_consumer: Consumer) -> None:
        self._cfg = cfg
        self._next = next_consumer
        labels = {"processor": str(settings.id)}
        evicted = settings.telemetry.counter(
            "otelpy_processor_anomaly_series_evicted",
            "Series forgotten to stay within max_series", ["processor"]).labels(**labels)
        self._scored = settings.telemetry.counter(
            "otelpy_processor_anomaly_points_scored",
            "Data points given an anomaly score", ["processor"]).labels(**labels)
        self.table = SeriesTable(cfg, cfg.suffix, evicted.inc)
        self._keeper = state_keeper(settings, cfg.storage, cfg.save_interval, self.table)

    @property
    def series(self) -> int:
        return len(self.table)

    async def start(self, host: Host) -> None:
        await self._keeper.start(host)

    async def shutdown(self) -> None:
        await self._keeper.shutdown()

    def process(self, request: Any) -> int:
        """Score every selected number point of a decoded request in place; returns the count."""
        added: list[tuple[Any, list[Scored]]] = []  # per metric item, in order
        for scored in self.table.score_request(request):
            if not added or added[-1][0] is not scored.item:
                added.append((scored.item, []))
            added[-1][1].append(scored)
        for item, scores in added:
            _append_scores(item.scope, item.metric, self._cfg.suffix, scores)
        count = sum(len(s) for _, s in added)
        self._scored.inc(count)
        return count

    async def consume_metrics(self, batch: Batch) -> None:
        self.process(batch.mutable_message())
        await self._next.consume_metrics(batch)


def _append_scores(scope: Any, metric: Any, suffix: str, scores: list[Scored]) -> None:
    out = scope.metrics.add()
    out.name = metric.name + suffix
    out.description = f"Anomaly score of {metric.name} in [0, 1] (otelpy anomaly processor)"
    out.unit = "1"
    for scored in scores:
        point = scored.point
        target = out.gauge.data_points.add()
        target.attributes.extend(point.attributes)
        target.start_time_unix_nano = point.start_time_unix_nano
        target.time_unix_nano = point.time_unix_nano
        target.as_double = scored.score
