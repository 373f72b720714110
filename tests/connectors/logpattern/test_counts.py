"""The logpattern connector: per-pattern counts as cumulative sums, emitted on the clock."""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.connectors.logpattern import LogPatternCountsConfig, factory
from otelpy.pdata import Batch
from otelpy.telemetry import Telemetry
from otelpy.testing.clock import FakeClock
from otelpy.testing.sink import SinkConsumer


class NoHost:
    def extension(self, component_id: ComponentID) -> None:
        return None

    def pipeline_status(self) -> dict[str, str]:
        return {}


def logs(service: str, patterns: list[tuple[str, str] | None]) -> Batch:
    request = ExportLogsServiceRequest()
    rl = request.resource_logs.add()
    rl.resource.attributes.add(key="service.name").value.string_value = service
    records = rl.scope_logs.add().log_records
    for pattern in patterns:
        record = records.add()
        record.body.string_value = "x"
        if pattern is not None:
            record.attributes.add(key="log.pattern.id").value.string_value = pattern[0]
            record.attributes.add(key="log.pattern.template").value.string_value = pattern[1]
    return Batch.from_message(Signal.LOGS, request)


def points(sink: SinkConsumer) -> list[dict[str, Any]]:
    """Every data point of the last emitted batch, flattened."""
    out = []
    request = sink.batches[-1].message
    for rm in request.resource_metrics:
        service = rm.resource.attributes[0].value.string_value
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                assert metric.name == "log.pattern.records" and metric.sum.is_monotonic
                assert metric.sum.aggregation_temporality == 2  # cumulative
                for p in metric.sum.data_points:
                    attrs = {kv.key: kv.value.string_value for kv in p.attributes}
                    out.append({"service": service, "count": p.as_int, **attrs,
                                "start": p.start_time_unix_nano, "time": p.time_unix_nano})
    return sorted(out, key=lambda d: (d["service"], d["log.pattern.id"]))


async def test_counts_emitted_every_interval_and_at_shutdown() -> None:
    clock, sink, tel = FakeClock(), SinkConsumer(), Telemetry()
    settings = Settings(ComponentID("logpattern"), Kind.CONNECTOR,
                        logging.getLogger("test"), tel, clock)
    cfg = LogPatternCountsConfig.model_validate({"interval": "10s", "max_series": 3})
    conn = factory.create(settings, cfg, Signal.LOGS, Signal.METRICS, sink)
    await conn.start(NoHost())
    t0 = clock.time_ns()
    a, b = ("aaaa", "user <*> logged in"), ("bbbb", "disk <*> full")
    await conn.consume(logs("api", [a, a, b, None]))
    await conn.consume(logs("web", [a]))
    await clock.advance(9)
    assert sink.batches == []
    await clock.advance(1)
    first = points(sink)
    assert [(p["service"], p["log.pattern.id"], p["count"]) for p in first] == [
        ("api", "aaaa", 2), ("api", "bbbb", 1), ("web", "aaaa", 1)]
    assert first[0]["log.pattern.template"] == "user <*> logged in"
    assert first[0]["start"] == t0 and first[0]["time"] == t0 + 10 * 10**9
    await conn.consume(logs("api", [a, ("cccc", "new one")]))  # cccc: a 4th series, dropped
    await conn.shutdown()
    await conn.shutdown()
    last = points(sink)
    assert [p["count"] for p in last] == [3, 1, 1]  # cumulative
    assert len(sink.batches) == 2
    assert tel.value("otelpy_connector_logpattern_series_dropped_total",
                     {"connector": "logpattern"}) == 1
