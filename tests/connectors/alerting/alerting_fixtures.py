"""Building blocks of the alerting connector tests: OTLP points at fake-clock times, a
connector wired to sinks, and readers of what it emitted."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.connectors.alerting import factory
from otelpy.connectors.alerting.config import AlertingConfig
from otelpy.connectors.alerting.connector import AlertingConnector
from otelpy.pdata import Batch, items
from otelpy.pdata.values import Attributes, to_value
from otelpy.telemetry import Telemetry
from otelpy.testing.clock import FakeClock
from otelpy.testing.polling import until
from otelpy.testing.sink import SinkConsumer

CUMULATIVE = 2


def request(name: str, value: float, t_ns: int, kind: str = "gauge",
            attrs: Mapping[str, str] | None = None, unit: str = "",
            service: str = "api") -> ExportMetricsServiceRequest:
    """One point of a gauge, a cumulative monotonic sum (``sum``) or a histogram
    (``histogram``: ``value`` is the sum of one observation per bucket bound below it)."""
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    rm.resource.attributes.add(key="service.name").value.string_value = service
    metric = rm.scope_metrics.add().metrics.add(name=name, unit=unit)
    if kind == "gauge":
        point = metric.gauge.data_points.add(time_unix_nano=t_ns, as_double=value)
    elif kind == "sum":
        metric.sum.is_monotonic = True
        metric.sum.aggregation_temporality = CUMULATIVE
        point = metric.sum.data_points.add(time_unix_nano=t_ns, as_double=value,
                                           start_time_unix_nano=1)
    else:
        raise ValueError(kind)
    for key, text in (attrs or {}).items():
        point.attributes.add(key=key).value.string_value = text
    return req


def histogram(name: str, counts: list[int], bounds: list[float], total: float,
              t_ns: int, unit: str = "s") -> ExportMetricsServiceRequest:
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    rm.resource.attributes.add(key="service.name").value.string_value = "api"
    metric = rm.scope_metrics.add().metrics.add(name=name, unit=unit)
    metric.histogram.aggregation_temporality = CUMULATIVE
    metric.histogram.data_points.add(time_unix_nano=t_ns, start_time_unix_nano=1,
                                     bucket_counts=counts, explicit_bounds=bounds,
                                     count=sum(counts), sum=total)
    return req


class Harness:
    """A connector (both outputs) on a fake clock, with sinks for logs and metrics."""

    def __init__(self, config: Mapping[str, Any], clock: FakeClock | None = None,
                 name: str = "") -> None:
        self.clock = clock or FakeClock()
        self.cfg = AlertingConfig.model_validate(config)
        problems = self.cfg.validate_config()
        assert not problems, problems
        self.telemetry = Telemetry()
        settings = Settings(ComponentID("alerting", name), Kind.CONNECTOR,
                            logging.getLogger("alerting-test"), self.telemetry, self.clock)
        self.logs, self.metrics = SinkConsumer(), SinkConsumer()
        self.log_conn = factory.create(settings, self.cfg, Signal.METRICS, Signal.LOGS,
                                       self.logs)
        self.metric_conn = factory.create(settings, self.cfg, Signal.METRICS,
                                          Signal.METRICS, self.metrics)
        assert isinstance(self.log_conn, AlertingConnector)

    async def send(self, req: ExportMetricsServiceRequest) -> None:
        data = req.SerializeToString()
        for conn in (self.log_conn, self.metric_conn):  # as the graph's fan-out does
            await conn.consume_metrics(Batch.from_bytes(Signal.METRICS, data))

    async def tick(self, seconds: float) -> None:
        """Advance the clock by one group interval and wait for the round it starts to
        finish (saving state waits for a real fsync)."""
        runtime = self.log_conn.runtime
        before = runtime.rounds
        await self.clock.advance(seconds)
        await until(lambda: runtime.rounds > before, within=30)

    def now_ns(self) -> int:
        return self.clock.time_ns()

    def alerts(self) -> list[dict[str, Any]]:
        """Every alert record emitted so far, as attribute dicts."""
        out = []
        for batch in self.logs.batches:
            for item in items.log_records(batch.message):
                attrs = dict(Attributes(item.record.attributes))
                attrs["_time"] = item.record.time_unix_nano
                attrs["_event_name"] = item.record.event_name
                attrs["_severity"] = item.record.severity_text
                attrs["_body"] = to_value(item.record.body)
                out.append(attrs)
        return out

    def states(self) -> list[tuple[str, str]]:
        return [(a["alertname"], a["state"]) for a in self.alerts()]

    def samples(self, name: str) -> list[tuple[dict[str, Any], float, int]]:
        """(attributes, value, flags) of every emitted point of metric ``name``."""
        out = []
        for batch in self.metrics.batches:
            for item in items.data_points(batch.message):
                if item.metric.name == name:
                    out.append((dict(item.attributes), item.point.as_double,
                                item.point.flags))
        return out
