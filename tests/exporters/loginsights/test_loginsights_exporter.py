"""The loginsights exporter from its factory on a FakeClock: logs and metrics in, the
/api/logs/insights route answers, queries are bounded (400), and the window evicts on the
clock."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.exporters.loginsights import LogInsightsConfig, factory
from otelpy.pdata import Batch
from otelpy.statusapi import ApiError, ApiRequest
from otelpy.telemetry import Telemetry
from otelpy.testing.clock import FakeClock
from otelpy.testing.sink import FakeHost


def logs(service: str, severities: list[int]) -> Batch:
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.add(key="service.name").value.string_value = service
    out = rl.scope_logs.add().log_records
    for n in severities:
        r = out.add(severity_number=n)
        r.body.string_value = "upstream timed out"
        r.attributes.add(key="log.pattern.id").value.string_value = "p"
        r.attributes.add(key="log.pattern.template").value.string_value = "upstream timed out"
    return Batch.from_message(Signal.LOGS, req)


def latency(value: float) -> Batch:
    req = ExportMetricsServiceRequest()
    m = req.resource_metrics.add().scope_metrics.add().metrics.add(name="latency")
    m.gauge.data_points.add(as_double=value)
    return Batch.from_message(Signal.METRICS, req)


class Exporter:
    def __init__(self, config: dict[str, Any]) -> None:
        self.clock = FakeClock()
        self.telemetry = Telemetry()
        self.host = FakeHost()
        cfg = LogInsightsConfig.model_validate(config)
        assert cfg.validate_config() == []
        settings = Settings(ComponentID("loginsights"), Kind.EXPORTER,
                            logging.getLogger("test.loginsights"), self.telemetry, self.clock)
        self.exporter = factory.create(settings, cfg, frozenset({Signal.LOGS, Signal.METRICS}))

    async def get(self, **query: str) -> Any:
        found = self.host.api.resolve("GET", "/logs/insights")
        assert found is not None
        route, _ = found
        return await route.handler(ApiRequest("GET", "/logs/insights",
                                              {k: (v,) for k, v in query.items()}))

    def metric(self, name: str) -> float:
        return self.telemetry.registry.get_sample_value(name, {"exporter": "loginsights"}) \
            or 0.0


async def test_answers_from_logs_and_metrics_then_forgets_on_the_clock() -> None:
    e = Exporter({"window": "10m", "correlate": [{"metric": "latency"}],
                  "min_correlation_buckets": 3})
    await e.exporter.start(e.host)
    for errs, value in [(1, 100.0), (4, 250.0), (2, 160.0), (6, 400.0)]:
        await e.exporter.consume_logs(logs("api", [17] * errs + [9, 13]))
        await e.exporter.consume_metrics(latency(value))
        await e.clock.advance(60)
    got = await e.get(range="10m", severity="ERROR,WARN", service="api")
    assert got["summary"] == {"total_logs": 13 + 4, "error_logs": 13, "warning_logs": 4,
                              "unique_error_patterns": 1}
    (corr,) = got["correlations"]
    assert corr["buckets"] == 4 and corr["correlation_score"] > 0.99
    assert (await e.get(level="error"))["summary"]["error_logs"] == 13  # the spec's key
    await e.clock.advance(11 * 60)  # the eviction timer empties the window
    assert e.exporter.window.buckets == {}
    assert e.metric("otelpy_exporter_loginsights_evicted_records_total") == 13 + 8
    await e.exporter.shutdown()
    assert e.host.api.resolve("GET", "/logs/insights") is None
    await e.exporter.shutdown()  # idempotent


@pytest.mark.parametrize(("query", "message"), [
    ({"range": "2h"}, "range: must be positive and at most 60m"),
    ({"range": "-5m"}, "range"),
    ({"range": "soon"}, "range"),
    ({"limit": "101"}, "limit: must be between 1 and 100"),
    ({"limit": "0"}, "limit"),
    ({"severity": "ERROR,LOUD"}, "severity: unknown level 'LOUD'"),
], ids=["range-past-window", "range-negative", "range-malformed", "limit-past-max",
        "limit-zero", "severity-unknown"])
async def test_queries_are_bounded(query: dict[str, str], message: str) -> None:
    e = Exporter({"window": "1h", "max_results": 100})
    await e.exporter.start(e.host)
    with pytest.raises(ApiError, match=message) as info:
        await e.get(**query)
    assert info.value.status == 400
    await e.exporter.shutdown()


async def test_limit_bounds_the_lists() -> None:
    e = Exporter({"max_results": 5})
    await e.exporter.start(e.host)
    req = ExportLogsServiceRequest()
    out = req.resource_logs.add().scope_logs.add().log_records
    for k in range(8):
        r = out.add(severity_number=17)
        r.body.string_value = f"error kind {k}"
    await e.exporter.consume_logs(Batch.from_message(Signal.LOGS, req))
    got = await e.get(limit="5")
    assert len(got["error_patterns"]) == 5 and got["summary"]["unique_error_patterns"] == 8
    assert len((await e.get())["error_patterns"]) == 5  # default: min(20, max_results)
    await e.exporter.shutdown()


@pytest.mark.parametrize(("config", "problem"), [
    ({"window": "25h"}, "window: must be positive and at most 24h"),
    ({"resolution": "2h"}, "resolution: must be positive and at most window"),
    ({"window": "24h", "resolution": "1s"}, "resolution: window / resolution must be at most"),
    ({"correlate": [{"metric": "a"}, {"metric": "a"}]}, "correlate: a metric is listed twice"),
], ids=["window", "resolution", "buckets", "duplicate-metric"])
def test_config_rules(config: dict[str, Any], problem: str) -> None:
    problems = LogInsightsConfig.model_validate(config).validate_config()
    assert any(p.startswith(problem) for p in problems), problems
