"""The anomaly connector from its registered factory: metric points in, metric.anomaly log
events out for the points at or above the threshold (only those)."""

from __future__ import annotations

import logging
import math
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata import Batch
from otelpy.pdata.values import Attributes
from otelpy.registry import load_registry
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import SinkConsumer

T0 = 1_700_000_000 * 10**9
STEP = 60 * 10**9
SPIKE = 1200


def request(i: int) -> Batch:
    req = ExportMetricsServiceRequest()
    res = req.resource_metrics.add()
    res.resource.attributes.add(key="service.name").value.string_value = "shop"
    value = 50.0 + 5.0 * math.sin(i * 0.2) + math.sin(i * 12.9898)
    if i == SPIKE:
        value += 60.0
    point = res.scope_metrics.add().metrics.add(name="queue.depth").gauge.data_points.add(
        time_unix_nano=T0 + i * STEP, as_double=value)
    point.attributes.add(key="queue").value.string_value = "orders"
    return Batch.from_bytes(Signal.METRICS, req.SerializeToString())


def connector(config: dict[str, Any]) -> tuple[Any, SinkConsumer, Telemetry]:
    factory = load_registry(include_plugins=False).get(Kind.CONNECTOR, "anomaly")
    assert factory is not None
    cfg = factory.config_type.model_validate(config)
    assert cfg.validate_config() == []  # type: ignore[attr-defined]
    sink, telemetry = SinkConsumer(), Telemetry()
    settings = Settings(ComponentID("anomaly"), Kind.CONNECTOR,
                        logging.getLogger("test.anomaly.connector"), telemetry)
    return factory.create(settings, cfg, Signal.METRICS, Signal.LOGS, sink), sink, telemetry


async def test_spike_becomes_one_event_with_value_range_and_score() -> None:
    conn, sink, telemetry = connector({"sensitivity": "low"})
    for i in range(1400):
        await conn.consume_metrics(request(i))
    records = [(res.resource, rec) for batch in sink.batches
               for res in batch.message.resource_logs
               for scope in res.scope_logs for rec in scope.log_records]
    assert len(records) == 1
    resource, record = records[0]
    attrs = Attributes(record.attributes)
    assert record.event_name == "metric.anomaly"
    assert attrs["event.name"] == "metric.anomaly" and attrs["metric.name"] == "queue.depth"
    assert attrs["anomaly.series"] == "queue.depth{queue=orders}"
    assert attrs["queue"] == "orders"
    assert SPIKE * STEP <= record.time_unix_nano - T0 < (SPIKE + 3) * STEP
    assert float(attrs["anomaly.score"]) >= 0.8  # type: ignore[arg-type]
    low, high = float(attrs["anomaly.expected.low"]), float(attrs["anomaly.expected.high"])  # type: ignore[arg-type]
    assert 40.0 < low < 50.0 < high < 60.0
    assert Attributes(resource.attributes)["service.name"] == "shop"
    assert telemetry.value("otelpy_connector_anomaly_events_total",
                           {"connector": "anomaly"}) == 1


async def test_threshold_one_means_no_events() -> None:
    conn, sink, _ = connector({"threshold": 1.0})
    for i in range(1400):
        await conn.consume_metrics(request(i))
    assert sink.batches == []
