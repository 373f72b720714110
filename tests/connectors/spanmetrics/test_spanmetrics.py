"""spanmetrics: counts and durations per dimension set against SDK spans with known kinds,
exemplars with trace IDs, cardinality overflow, delta and cumulative flushes on a FakeClock."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.connectors.spanmetrics import factory
from otelpy.connectors.spanmetrics.config import SpanMetricsConfig
from otelpy.pdata import Batch
from otelpy.pdata.values import to_value
from otelpy.telemetry import Telemetry
from otelpy.testing.clock import FakeClock
from otelpy.testing.sink import FakeHost, SinkConsumer
from otelpy.testing.spantree import call_tree

KINDS = {1: "SPAN_KIND_INTERNAL", 2: "SPAN_KIND_SERVER", 3: "SPAN_KIND_CLIENT"}


async def started(cfg: dict[str, Any]) -> tuple[Any, SinkConsumer, FakeClock, Telemetry]:
    clock, sink, tel = FakeClock(), SinkConsumer(), Telemetry()
    settings = Settings(ComponentID("spanmetrics"), Kind.CONNECTOR, logging.getLogger("t"),
                        tel, clock)
    conn = factory.create(settings, SpanMetricsConfig.model_validate(cfg), Signal.TRACES,
                          Signal.METRICS, sink)
    await conn.start(FakeHost())
    return conn, sink, clock, tel


def points(batch: Batch, name: str) -> list[tuple[dict[str, Any], Any]]:
    out = []
    for rm in batch.message.resource_metrics:
        for sm in rm.scope_metrics:
            assert sm.scope.name == "spanmetricsconnector"
            for m in sm.metrics:
                if m.name == name:
                    kind = m.WhichOneof("data")
                    for p in getattr(m, kind).data_points:
                        out.append(({kv.key: to_value(kv.value) for kv in p.attributes}, p))
    return out


async def test_calls_and_durations_equal_the_spans_sent() -> None:
    conn, sink, clock, _ = await started({"dimensions": [{"name": "db.system",
                                                          "default": "none"}]})
    tree = call_tree(40)
    await conn.consume_traces(Batch.from_message(Signal.TRACES, tree.request()))
    assert sink.batches == []
    await clock.advance(60)  # the default metrics_flush_interval
    assert len(sink.batches) == 1
    batch = sink.batches[0]
    expected = Counter(
        (s.resource.attributes["service.name"], s.name, f"SPAN_KIND_{s.kind.name}",
         "STATUS_CODE_ERROR" if s.status.status_code.name == "ERROR" else "STATUS_CODE_UNSET",
         (s.attributes or {}).get("db.system", "none"))
        for s in tree.spans)
    calls = points(batch, "traces.span.metrics.calls")
    got = Counter()
    for attrs, p in calls:
        key = (attrs["service.name"], attrs["span.name"], attrs["span.kind"],
               attrs["status.code"], attrs["db.system"])
        got[key] += p.as_int
        assert p.start_time_unix_nano == clock.time_ns() - 60 * 10**9
    assert got == expected and sum(got.values()) == 160
    durations = points(batch, "traces.span.metrics.duration")
    assert sum(p.count for _, p in durations) == 160
    for attrs, p in durations:
        mine = [s for s in tree.of(attrs["service.name"], attrs["span.name"])
                if f"SPAN_KIND_{s.kind.name}" == attrs["span.kind"]
                and ("ERROR" in attrs["status.code"]) == (s.status.status_code.name == "ERROR")]
        assert p.count == len(mine)
        assert p.sum == pytest.approx(sum((s.end_time - s.start_time) / 1e6 for s in mine))
        assert list(p.explicit_bounds)[:3] == [2.0, 4.0, 6.0] and sum(p.bucket_counts) == p.count
    await conn.shutdown()


async def test_exemplars_carry_trace_ids_and_are_cleared_each_flush() -> None:
    conn, sink, clock, _ = await started({"exemplars": {"enabled": True,
                                                        "max_per_data_point": 3},
                                          "metrics_flush_interval": "10s"})
    tree = call_tree(20)
    await conn.consume_traces(Batch.from_message(Signal.TRACES, tree.request()))
    await clock.advance(10)
    trace_ids = {s.context.trace_id.to_bytes(16, "big") for s in tree.spans}
    span_ids = {s.context.span_id.to_bytes(8, "big") for s in tree.spans}
    durations = points(sink.batches[0], "traces.span.metrics.duration")
    assert durations
    for _, p in durations:
        assert 1 <= len(p.exemplars) <= 3
        for ex in p.exemplars:
            assert ex.trace_id in trace_ids and ex.span_id in span_ids and ex.as_double > 0
    await clock.advance(10)  # no new spans: cumulative counts again, exemplars gone
    again = points(sink.batches[1], "traces.span.metrics.duration")
    assert sum(p.count for _, p in again) == 80
    assert all(len(p.exemplars) == 0 for _, p in again)
    await conn.shutdown()


async def test_cardinality_limit_folds_new_series_into_the_overflow_series() -> None:
    conn, sink, clock, tel = await started({"aggregation_cardinality_limit": 2,
                                            "histogram": {"disable": True}})
    tree = call_tree(10)
    await conn.consume_traces(Batch.from_message(Signal.TRACES, tree.request()))
    await clock.advance(60)
    calls = points(sink.batches[0], "traces.span.metrics.calls")
    assert points(sink.batches[0], "traces.span.metrics.duration") == []
    per_service: dict[str, int] = Counter()
    overflow = 0
    for attrs, p in calls:
        if attrs == {"otel.metric.overflow": True}:
            overflow += p.as_int
        else:
            per_service[attrs["service.name"]] += 1
    assert all(n <= 2 for n in per_service.values())
    assert sum(p.as_int for _, p in calls) == 40  # nothing lost
    assert overflow > 0
    assert tel.value("otelpy_connector_spanmetrics_overflow_spans_total",
                     {"connector": "spanmetrics"}) == overflow
    await conn.shutdown()


async def test_delta_temporality_restarts_counts_and_chains_start_times() -> None:
    conn, sink, clock, _ = await started({
        "aggregation_temporality": "AGGREGATION_TEMPORALITY_DELTA",
        "metrics_flush_interval": "5s", "histogram": {"exponential": {"max_size": 10},
                                                      "unit": "s"},
        "namespace": ""})
    tree = call_tree(8)
    for _ in range(2):
        await conn.consume_traces(Batch.from_message(Signal.TRACES, tree.request()))
        await clock.advance(5)
    first, second = (points(b, "calls") for b in sink.batches[:2])
    assert sum(p.as_int for _, p in first) == sum(p.as_int for _, p in second) == 32
    first_end = {tuple(sorted(a.items())): p.time_unix_nano for a, p in first}
    for attrs, p in second:
        assert p.start_time_unix_nano == first_end[tuple(sorted(attrs.items()))]
    hist = points(sink.batches[1], "duration")
    assert all(0 < len(p.positive.bucket_counts) <= 10 for _, p in hist)
    assert sum(p.count for _, p in hist) == 32
    await clock.advance(5)
    assert len(sink.batches) == 2  # nothing new: a delta flush sends nothing
    await conn.shutdown()


@pytest.mark.parametrize("cfg,message", [
    ({"dimensions": [{"name": "span.kind"}]}, "duplicate dimension name span.kind"),
    ({"events": {"enabled": True}}, "no dimensions configured for events"),
    ({"histogram": {"explicit": {}, "exponential": {}}}, "either `explicit` or `exponential`"),
], ids=["reserved-dimension", "events-without-dimensions", "two-histograms"])
def test_config_problems_name_the_key(cfg: dict[str, Any], message: str) -> None:
    problems = SpanMetricsConfig.model_validate(cfg).validate_config()
    assert any(message in p for p in problems), problems
