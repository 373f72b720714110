"""The logspike processor from its factory, driven by a FakeClock: records pass through
unchanged, log.anomaly events are appended for a burst and a new error pattern, nothing is
added for steady traffic, and the events carry what alert routing needs."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from pydantic import ValidationError

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata import Batch, items
from otelpy.processors.logspike import LogSpikeConfig, factory
from otelpy.telemetry import Telemetry
from otelpy.testing.clock import FakeClock
from otelpy.testing.sink import SinkConsumer

ERROR, INFO = 17, 9


def request(service: str, records: list[tuple[int, str | None, str]]) -> Batch:
    """Records (severity number, pattern ID or None, trace ID hex or "")."""
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.add(key="service.name").value.string_value = service
    logs = rl.scope_logs.add().log_records
    for severity, pattern, trace in records:
        r = logs.add(severity_number=severity)
        r.body.string_value = f"db timeout after {len(logs)} ms"
        if trace:
            r.trace_id = bytes.fromhex(trace)
        if pattern is not None:
            r.attributes.add(key="log.pattern.id").value.string_value = pattern
            r.attributes.add(key="log.pattern.template").value.string_value = \
                f"{pattern} after <*> ms"
    return Batch.from_message(Signal.LOGS, req)


class Run:
    def __init__(self, config: dict[str, Any]) -> None:
        self.clock = FakeClock()
        self.telemetry = Telemetry()
        self.sink = SinkConsumer()
        settings = Settings(ComponentID("logspike"), Kind.PROCESSOR,
                            logging.getLogger("test.logspike"), self.telemetry, self.clock)
        self.processor = factory.create(settings, LogSpikeConfig.model_validate(config),
                                        Signal.LOGS, self.sink)

    async def minute(self, batches: list[Batch]) -> list[dict[str, Any]]:
        """Send ``batches`` spread over one minute; the events the sink got for them."""
        before = len(self.sink.batches)
        for b in batches:
            await self.processor.consume_logs(b)
            await self.clock.advance(60 / len(batches))
        if not batches:
            await self.clock.advance(60)
        return [dict(i.attributes) for b in self.sink.batches[before:]
                for i in items.log_records(b.message) if i.record.event_name == "log.anomaly"]

    def detector_len(self) -> int:
        return len(self.processor.detector)

    def metric(self, name: str, **labels: str) -> float:
        value = self.telemetry.registry.get_sample_value(
            name, {"processor": "logspike", **labels})
        return value or 0.0


def errors(n: int, pattern: str = "timeout", service: str = "checkout") -> Batch:
    return request(service, [(ERROR, pattern, f"{k + 1:032x}") for k in range(n)])


async def test_burst_and_new_pattern_emit_events_steady_traffic_does_not() -> None:
    run = Run({"window": "1m", "factor": 3, "min_count": 10, "max_trace_ids": 2})
    first = await run.minute([errors(2), errors(2), errors(1)])
    assert [e["log.anomaly.type"] for e in first] == ["new_pattern"]
    steady = [await run.minute([errors(2), errors(3)]) for _ in range(20)]
    assert steady == [[]] * 20  # 5 a minute for 20 minutes: no alarm
    burst = await run.minute([errors(10) for _ in range(6)])
    assert [e["log.anomaly.type"] for e in burst] == ["error_spike"]
    spike = burst[0]
    assert spike["event.name"] == "log.anomaly"
    assert spike["log.pattern.id"] == "timeout"
    assert spike["log.pattern.template"] == "timeout after <*> ms"
    assert spike["log.anomaly.count"] == 16  # the first record past 3 x 5 (and >= 10)
    assert spike["log.anomaly.baseline"] == pytest.approx(5.0)
    assert spike["log.anomaly.factor"] == 3.0
    assert spike["log.anomaly.trace_ids"] == [f"{1:032x}", f"{2:032x}"]
    assert spike["log.anomaly.services"] == ["checkout"]
    start = spike["log.anomaly.window.start"]
    assert start.endswith(":00.000Z") and spike["log.anomaly.window.end"] > start
    assert spike["alertname"] == "LogErrorSpike" and spike["severity"] == "critical"
    assert spike["labels"] == {"alertname": "LogErrorSpike", "severity": "critical",
                               "pattern_id": "timeout", "service": "checkout"}
    new = await run.minute([errors(1, pattern="oom", service="api")])
    assert [(e["log.anomaly.type"], e["log.pattern.id"], e["severity"]) for e in new] == \
        [("new_pattern", "oom", "warning")]
    assert run.metric("otelpy_processor_logspike_anomalies_total", type="error_spike") == 1
    assert run.metric("otelpy_processor_logspike_anomalies_total", type="new_pattern") == 2


async def test_records_pass_through_and_only_errors_are_watched() -> None:
    run = Run({})
    batch = request("web", [(INFO, "hello", ""), (ERROR, None, ""), (0, "x", "")])
    await run.processor.consume_logs(batch)
    out = run.sink.batches[0].message
    assert [r.record.severity_number for r in items.log_records(out)] == [INFO, ERROR, 0]
    assert run.metric("otelpy_processor_logspike_records_untagged_total") == 1
    # severity_text is read when the number is unset
    await run.processor.consume_logs(request("web", []))
    text = request("web", [(0, "viatext", "")])
    next(items.log_records(text.mutable_message())).record.severity_text = "Error"
    await run.processor.consume_logs(text)
    events = [i for i in items.log_records(run.sink.batches[-1].message)
              if i.record.event_name == "log.anomaly"]
    assert [dict(e.attributes)["log.pattern.id"] for e in events] == ["viatext"]


async def test_its_own_events_are_not_counted_again() -> None:
    first, second = Run({}), Run({})
    await second.processor.consume_logs(errors(1))  # the pattern is known downstream
    await first.processor.consume_logs(errors(1))
    await second.processor.consume_logs(first.sink.batches[0])  # a second logspike
    kinds = [i.record.event_name for i in items.log_records(second.sink.batches[1].message)]
    assert kinds == ["", "log.anomaly"]  # first's event passed on, not counted, no new one
    assert second.detector_len() == 1


@pytest.mark.parametrize(("config", "message"), [
    ({"min_severity": "LOUD"}, "unknown severity"),
    ({"factor": 1}, "greater than 1"),
    ({"min_count": 0}, "greater than or equal to 1"),
], ids=["severity", "factor", "min_count"])
def test_config_is_checked(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        LogSpikeConfig.model_validate(config)


def test_window_must_be_positive() -> None:
    assert LogSpikeConfig.model_validate({"window": "0s"}).validate_config() == \
        ["window: must be a positive duration"]
    assert LogSpikeConfig.model_validate({"min_severity": "warning"}).min_severity == "WARN"
