"""otelpy in alert_eval: the `alerting` connector (metrics -> logs, the rule file of the run)
fed the workload as OTLP, on a fake clock the benchmark moves one interval per round.

The OTLP form of the workload: one resource per (job, instance) (``service.name`` svc-J,
``service.instance.id`` i-K, which the connector's translation turns into ``job`` and
``instance``) with a cumulative monotonic sum ``http_requests`` (attribute ``code``), a gauge
``node_temp_celsius`` (attribute ``sensor``) and a cumulative histogram ``request_duration``
in ``s``: the same 100,000 Prometheus series the servers are remote-written.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import workload
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.connectors.alerting import factory
from otelpy.connectors.alerting.config import AlertingConfig
from otelpy.connectors.alerting.connector import AlertingConnector
from otelpy.pdata import Batch
from otelpy.telemetry import Telemetry
from otelpy.testing.clock import FakeClock
from otelpy.testing.polling import until
from otelpy.testing.sink import SinkConsumer

CUMULATIVE = 2


def request(round_no: int, t_ms: int, start_ms: int) -> ExportMetricsServiceRequest:
    """Every series' sample of ``round_no`` at ``t_ms`` as one OTLP request."""
    req = ExportMetricsServiceRequest()
    t_ns, start_ns = t_ms * 1_000_000, start_ms * 1_000_000
    for j in range(workload.JOBS):
        for i in range(workload.INSTANCES):
            rm = req.resource_metrics.add()
            for key, text in (("service.name", f"svc-{j}"), ("service.instance.id", f"i-{i}")):
                rm.resource.attributes.add(key=key).value.string_value = text
            scope = rm.scope_metrics.add()
            m = scope.metrics.add(name="http_requests")
            m.sum.is_monotonic, m.sum.aggregation_temporality = True, CUMULATIVE
            for c, code in enumerate(workload.CODES):
                p = m.sum.data_points.add(time_unix_nano=t_ns, start_time_unix_nano=start_ns,
                                          as_double=workload.counter(j, i, c, round_no))
                p.attributes.add(key="code").value.string_value = code
            if i < workload.GAUGE_INSTANCES:
                m = scope.metrics.add(name="node_temp_celsius")
                for s in range(4):
                    p = m.gauge.data_points.add(time_unix_nano=t_ns,
                                                as_double=workload.gauge(j, i, s, round_no))
                    p.attributes.add(key="sensor").value.string_value = str(s)
            if i < workload.HIST_INSTANCES:
                m = scope.metrics.add(name="request_duration", unit="s")
                m.histogram.aggregation_temporality = CUMULATIVE
                each = workload.per_bucket(j, i, round_no)
                m.histogram.data_points.add(
                    time_unix_nano=t_ns, start_time_unix_nano=start_ns,
                    bucket_counts=[each] * len(workload.LES), explicit_bounds=workload.BOUNDS,
                    count=each * len(workload.LES), sum=workload.hist_sum(j, i, round_no))
    return req


class OtelpySide:
    """The connector, its telemetry and the clock; ``feed`` and ``round`` drive it."""

    def __init__(self, rules: Path, now_ms: int) -> None:
        self.clock = FakeClock(now_ms * 1_000_000)
        self.telemetry = Telemetry()
        cfg = AlertingConfig.model_validate({"rule_files": [str(rules)],
                                             "evaluation_interval": "15s",
                                             "max_series": 200_000})
        settings = Settings(ComponentID("alerting"), Kind.CONNECTOR,
                            logging.getLogger("alert_eval"), self.telemetry, self.clock)
        conn = factory.create(settings, cfg, Signal.METRICS, Signal.LOGS, SinkConsumer())
        assert isinstance(conn, AlertingConnector)
        self.conn = conn
        self.groups = [g.group.name for g in conn.runtime.groups]

    async def start(self) -> None:
        await self.conn.start(None)  # type: ignore[arg-type]

    async def feed(self, req: ExportMetricsServiceRequest) -> float:
        """Consume one request as the pipeline would; returns the CPU seconds it took."""
        began = time.process_time()
        await self.conn.consume_metrics(Batch.from_bytes(Signal.METRICS,
                                                         req.SerializeToString()))
        return time.process_time() - began

    async def round(self, seconds: float) -> tuple[float, float]:
        """Move the clock one interval, wait for every group's round; returns (the sum of
        ``otelpy_alerting_group_last_duration_seconds`` over groups, CPU seconds taken)."""
        runtime = self.conn.runtime
        before, began = runtime.rounds, time.process_time()
        await self.clock.advance(seconds)
        await until(lambda: runtime.rounds >= before + len(self.groups), within=600)
        cpu = time.process_time() - began
        total = sum(self.telemetry.value("otelpy_alerting_group_last_duration_seconds",
                                         {"connector": "alerting", "group": g})
                    for g in self.groups)
        return total, cpu

    def series(self) -> int:
        return len(self.conn.runtime.store)

    async def stop(self) -> None:
        await self.conn.shutdown()
