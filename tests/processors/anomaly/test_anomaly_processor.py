"""The anomaly processor from its registered factory: selection, score metrics, eviction."""

from __future__ import annotations

import logging
import math
from typing import Any

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata import Batch
from otelpy.registry import load_registry
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import SinkConsumer

T0 = 1_700_000_000 * 10**9
STEP = 60 * 10**9


def request(t: int, points: list[tuple[str, dict[str, str], float]]) -> ExportMetricsServiceRequest:
    req = ExportMetricsServiceRequest()
    scope = req.resource_metrics.add()
    scope.resource.attributes.add(key="service.name").value.string_value = "svc"
    metrics = scope.scope_metrics.add()
    for name, attrs, value in points:
        metric = metrics.metrics.add(name=name)
        point = metric.gauge.data_points.add(time_unix_nano=t, as_double=value)
        for k, v in attrs.items():
            point.attributes.add(key=k).value.string_value = v
    return req


def value(i: int) -> float:
    return 10.0 + math.sin(i * 0.3) + 0.3 * math.sin(i * 12.9898)


class Harness:
    def __init__(self, config: dict[str, Any]) -> None:
        factory = load_registry(include_plugins=False).get(Kind.PROCESSOR, "anomaly")
        assert factory is not None
        cfg = factory.config_type.model_validate(config)
        assert cfg.validate_config() == []  # type: ignore[attr-defined]
        self.telemetry = Telemetry()
        self.sink = SinkConsumer()
        settings = Settings(ComponentID("anomaly"), Kind.PROCESSOR,
                            logging.getLogger("test.anomaly"), self.telemetry)
        self.processor = factory.create(settings, cfg, Signal.METRICS, self.sink)

    async def send(self, req: ExportMetricsServiceRequest) -> dict[tuple[str, str], float]:
        await self.processor.consume_metrics(Batch.from_bytes(Signal.METRICS,
                                                              req.SerializeToString()))
        out = self.sink.batches[-1].message
        scores = {}
        for metric in out.resource_metrics[0].scope_metrics[0].metrics:
            for point in metric.gauge.data_points:
                host = next((kv.value.string_value for kv in point.attributes
                             if kv.key == "host"), "")
                scores[(metric.name, host)] = point.as_double
        return scores


async def test_scores_ride_along_with_same_attributes_and_spike_stands_out() -> None:
    h = Harness({"include": {"metric_names": ["cpu.*"]},
                 "exclude": {"attributes": {"host": "skip.*"}}})
    spike_at, best = 1500, (0.0, -1)
    for i in range(1600):
        a = value(i) + (30.0 if i == spike_at else 0.0)
        got = await h.send(request(T0 + i * STEP, [
            ("cpu.load", {"host": "a"}, a), ("cpu.load", {"host": "skip-me"}, value(i)),
            ("mem.used", {"host": "a"}, value(i))]))
        assert set(got) == {("cpu.load", "a"), ("cpu.load", "skip-me"), ("mem.used", "a"),
                            ("cpu.load.anomaly_score", "a")}
        score = got[("cpu.load.anomaly_score", "a")]
        assert 0.0 <= score <= 1.0
        if i >= 200:
            best = max(best, (score, i))
    # a value beyond the range seen scores 0.9 at once (spatial); shape scores per 3-point block
    assert spike_at <= best[1] < spike_at + 3 and best[0] >= 0.9
    attrs = h.sink.batches[-1].message.resource_metrics[0].scope_metrics[0].metrics[-1]
    assert attrs.gauge.data_points[0].time_unix_nano == T0 + 1599 * STEP
    assert h.telemetry.value("otelpy_processor_anomaly_points_scored_total",
                             {"processor": "anomaly"}) == 1600


async def test_bounded_series_evictions_counted_and_groups_pick_method() -> None:
    h = Harness({"max_series": 2, "groups": [
        {"match": {"attributes": {"host": "r.*"}}, "method": "robust", "season": "daily"}]})
    for i in range(3):
        await h.send(request(T0 + i * STEP, [("g", {"host": f"h{i}"}, 1.0)]))
    await h.send(request(T0, [("g", {"host": "r1"}, 1.0)]))
    assert h.processor.series == 2  # type: ignore[attr-defined]
    assert h.telemetry.value("otelpy_processor_anomaly_series_evicted_total",
                             {"processor": "anomaly"}) == 2
    series = list(h.processor.table.series.values())  # type: ignore[attr-defined]
    assert [s.detector.method for s in series] == ["shape", "robust"]


@pytest.mark.parametrize(("config", "message"), [
    ({"include": {"metric_names": ["("]}}, "include.metric_names: invalid regular expression"),
    ({"groups": [{"match": {}, "method": "surprise", "season": "daily"}]},
     "groups[0].season: only the robust method"),
], ids=["bad-regex", "season-needs-robust"])
def test_config_problems(config: dict[str, Any], message: str) -> None:
    factory = load_registry(include_plugins=False).get(Kind.PROCESSOR, "anomaly")
    assert factory is not None
    problems = factory.config_type.model_validate(config).validate_config()  # type: ignore[attr-defined]
    assert any(message in p for p in problems), problems
