"""The logspike processor: watches records at or above ``min_severity`` per pattern
(:mod:`otelpy.logspike`) and appends a ``log.anomaly`` event to the batch for each spike or
new pattern it finds. Records pass through unchanged."""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter

from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Capabilities, Consumer
from otelpy.logspike import EVENT_NAME, Anomaly, SpikeDetector, SpikeOptions, anomaly_logs
from otelpy.logspike.detector import ERROR_SPIKE, NEW_PATTERN
from otelpy.pdata import Batch, items
from otelpy.pdata.severity import RANK, level_of
from otelpy.processors.logspike.config import LogSpikeConfig
from otelpy.storage.snapshot import SnapshotError, SnapshotKeeper, SnapshotState

LOG_NAME = "logspike-state"


class LogSpikeProcessor(Consumer, ComponentBase):
    """One logspike processor instance (logs pipelines only)."""

    capabilities = Capabilities(mutates_data=True)

    def __init__(self, settings: Settings, cfg: LogSpikeConfig, next_consumer: Consumer) -> None:
        self._settings, self._cfg, self._next = settings, cfg, next_consumer
        self.detector = SpikeDetector(SpikeOptions(
            window=cfg.window, factor=cfg.factor, min_count=cfg.min_count,
            baseline_windows=cfg.baseline_windows, warmup_windows=cfg.warmup_windows,
            max_patterns=cfg.max_patterns, max_trace_ids=cfg.max_trace_ids,
            new_patterns=cfg.new_patterns))
        self._min_rank = RANK[cfg.min_severity]
        self._severities = {ERROR_SPIKE: cfg.spike_severity,
                            NEW_PATTERN: cfg.new_pattern_severity}
        owner = str(settings.id)
        tel = settings.telemetry

        def counter(name: str, doc: str, labels: tuple[str, ...] = ()) -> Any:
            return tel.counter(f"otelpy_processor_logspike_{name}", doc,
                               ["processor", *labels])
        anomalies = counter("anomalies", "log.anomaly events emitted, by type", ("type",))
        self._anomalies: dict[str, Counter] = {
            t: anomalies.labels(processor=owner, type=t) for t in (ERROR_SPIKE, NEW_PATTERN)}
        self._untagged: Counter = counter(
            "records_untagged", "Watched records without a pattern ID (not counted in any "
            "baseline)").labels(processor=owner)
        self._evicted: Counter = counter(
            "evicted", "Patterns forgotten to stay within max_patterns").labels(processor=owner)
        self._evicted_seen = 0
        state_errors: Counter = counter(
            "state_errors", "Saved states not restored or not written").labels(processor=owner)
        self._keeper = SnapshotKeeper(settings, cfg.storage, LOG_NAME, cfg.snapshot_interval,
                                      SnapshotState(self._dump, self._load,
                                                    lambda: self.detector.updates,
                                                    state_errors.inc))

    def _dump(self) -> bytes:
        return self.detector.dump()

    def _load(self, data: bytes) -> str:
        try:
            held = self.detector.load(data)
        except ValueError as exc:
            raise SnapshotError(str(exc)) from exc
        self._evicted_seen = self.detector.evicted
        return f"{held} patterns"

    async def start(self, host: Host) -> None:
        """Restore the saved state when ``storage`` is set (ComponentStartError when it
        names no running storage extension)."""
        await self._keeper.start(host)

    async def shutdown(self) -> None:
        """Save the state (when ``storage`` is set); idempotent."""
        await self._keeper.shutdown()

    async def consume_logs(self, batch: Batch) -> None:
        found = self._detect(batch.message)
        if found:
            events = anomaly_logs(found, self._settings.clock.time_ns(), self._cfg.window,
                                  self._severities)
            batch = Batch.merge(Signal.LOGS, [batch, events.with_metadata(batch.metadata)])
            for a in found:
                self._anomalies[a.type].inc()
        evicted = self.detector.evicted - self._evicted_seen
        if evicted:
            self._evicted.inc(evicted)
            self._evicted_seen = self.detector.evicted
        await self._next.consume_logs(batch)

    def _detect(self, request: Any) -> list[Anomaly]:
        observe, min_rank = self.detector.observe, self._min_rank
        id_key, template_key = self._cfg.id_attribute, self._cfg.template_attribute
        now = self._settings.clock.time_ns()
        found: list[Anomaly] = []
        untagged = 0
        resource: Any = None
        service = ""
        for item in items.log_records(request):
            record = item.record
            if RANK[level_of(record.severity_number, record.severity_text)] < min_rank \
                    or record.event_name == EVENT_NAME:
                continue
            attrs = item.attributes
            if attrs.get("event.name") == EVENT_NAME:
                continue
            pattern = attrs.get(id_key)
            if not isinstance(pattern, str) or not pattern:
                untagged += 1
                continue
            if item.resource is not resource:
                resource = item.resource
                name = item.resource_attributes.get("service.name")
                service = name if isinstance(name, str) else ""
            template = attrs.get(template_key)
            anomaly = observe(pattern, template if isinstance(template, str) else "", service,
                              record.trace_id.hex(), now)
            if anomaly is not None:
                found.append(anomaly)
        if untagged:
            self._untagged.inc(untagged)
        return found
