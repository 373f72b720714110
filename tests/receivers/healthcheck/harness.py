"""Building a healthcheck receiver for tests: a sink, a fake host, a clock."""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric

from otelpy.clock import SYSTEM_CLOCK, Clock
from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata import items
from otelpy.receivers.healthcheck import HealthCheckReceiverConfig, factory
from otelpy.receivers.healthcheck.receiver import HealthCheckReceiver
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import FakeHost, SinkConsumer


def make(checks: dict[str, dict[str, Any]], clock: Clock = SYSTEM_CLOCK, name: str = "",
         **extra: Any) -> tuple[HealthCheckReceiver, SinkConsumer, FakeHost]:
    cfg = HealthCheckReceiverConfig.model_validate({"checks": checks, **extra})
    assert cfg.validate_config() == []
    settings = Settings(ComponentID("healthcheck", name), Kind.RECEIVER,
                        logging.getLogger("test.healthcheck"), Telemetry(), clock)
    sink = SinkConsumer()
    receiver = factory.create(settings, cfg, {Signal.METRICS: sink, Signal.LOGS: sink})
    assert isinstance(receiver, HealthCheckReceiver)
    return receiver, sink, FakeHost()


def metrics(sink: SinkConsumer) -> list[Metric]:
    return [m.metric for b in sink.batches if b.signal is Signal.METRICS
            for m in items.metrics(b.message)]


def events(sink: SinkConsumer) -> list[LogRecord]:
    return [r.record for b in sink.batches if b.signal is Signal.LOGS
            for r in items.log_records(b.message)]


def attrs(point: Any) -> dict[str, Any]:
    from otelpy.pdata.values import Attributes
    return Attributes(point.attributes).as_dict()
