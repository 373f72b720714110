"""The anomaly connector: scores metric series (the engine the processor uses) and turns every
point scoring at or above the threshold into a ``metric.anomaly`` log event."""

from __future__ import annotations

import math

from otelpy.anomaly.series import Scored, SeriesTable
from otelpy.anomaly.store import state_keeper
from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.connectors.anomaly.config import AnomalyEventsConfig
from otelpy.consumer import Capabilities, Consumer
from otelpy.pdata import Batch
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import set_value

SCOPE = "otelpy/connector/anomaly"
SEVERITY = {"INFO": 9, "WARN": 13, "ERROR": 17}


class AnomalyEvents(Consumer, ComponentBase):
    """Metrics in, ``metric.anomaly`` log events out."""

    capabilities = Capabilities(mutates_data=False)

    def __init__(self, settings: Settings, cfg: AnomalyEventsConfig,
                 next_consumer: Consumer) -> None:
        self._settings, self._cfg, self._next = settings, cfg, next_consumer
        self._threshold = cfg.event_threshold()
        labels = {"connector": str(settings.id)}
        evicted = settings.telemetry.counter(
            "otelpy_connector_anomaly_series_evicted",
            "Series forgotten to stay within max_series", ["connector"]).labels(**labels)
        self._events = settings.telemetry.counter(
            "otelpy_connector_anomaly_events", "metric.anomaly events emitted",
            ["connector"]).labels(**labels)
        self.table = SeriesTable(cfg, "", evicted.inc)
        self._keeper = state_keeper(settings, cfg.storage, cfg.save_interval, self.table)

    async def start(self, host: Host) -> None:
        await self._keeper.start(host)

    async def shutdown(self) -> None:
        await self._keeper.shutdown()

    def events(self, batch: Batch) -> Batch | None:
        """The events of one metrics batch (None when no point reached the threshold)."""
        builder = RequestBuilder(Signal.LOGS)
        for scored in self.table.score_request(batch.message):
            if scored.score >= self._threshold:
                self._add(builder, scored)
        return builder.batch() if builder else None

    def _add(self, builder: RequestBuilder, scored: Scored) -> None:
        resource = scored.item.resource.resource
        record = builder.scope(resource, SCOPE).log_records.add(
            time_unix_nano=scored.point.time_unix_nano,
            observed_time_unix_nano=self._settings.clock.time_ns(),
            severity_number=SEVERITY[self._cfg.severity], severity_text=self._cfg.severity,
            event_name="metric.anomaly")
        low, high = scored.detector.expected_range(scored.point.time_unix_nano / 1e9)
        name = scored.key[0]
        series = name + "{" + ",".join(f"{k}={v}" for k, v in scored.key[2]) + "}"
        set_value(record.body, f"anomaly in {series}: {scored.value:g} (expected "
                               f"{low:g}..{high:g}), score {scored.score:.3f}")
        fields: dict[str, str | float] = {
            "event.name": "metric.anomaly", "metric.name": name, "anomaly.series": series,
            "anomaly.value": scored.value, "anomaly.score": scored.score,
            "anomaly.method": scored.detector.method,
        }
        if not math.isnan(low):
            fields["anomaly.expected.low"], fields["anomaly.expected.high"] = low, high
        for key, value in fields.items():
            set_value(record.attributes.add(key=key).value, value)
        record.attributes.extend(scored.point.attributes)
        self._events.inc()

    async def consume_metrics(self, batch: Batch) -> None:
        out = self.events(batch)
        if out is not None:
            await self._next.consume_logs(out)
