"""deltatocumulative: accumulation per stream, out-of-order and older-start samples, the
stream limit and staleness eviction driven by a FakeClock."""

from __future__ import annotations

import asyncio

import pytest

from otelpy.pdata import Batch, Signal
from otelpy.processors.deltatocumulative import DeltaToCumulativeConfig, factory
from otelpy.processors.deltatocumulative.processor import DeltaToCumulativeProcessor
from otelpy.telemetry import Telemetry
from otelpy.testing.clock import FakeClock
from otelpy.testing.sink import FakeHost, SinkConsumer
from tests.processors.metricpoints import (
    CUMULATIVE,
    DELTA,
    T0,
    S,
    points_of,
    request_with,
    settings_for,
)


def _make(clock: FakeClock, telemetry: Telemetry, **config: object
          ) -> tuple[DeltaToCumulativeProcessor, SinkConsumer]:
    sink = SinkConsumer()
    cfg = DeltaToCumulativeConfig.model_validate(config)
    proc = factory.create(settings_for("deltatocumulative", clock, telemetry), cfg,
                          Signal.METRICS, sink)
    return proc, sink


def _dropped(telemetry: Telemetry, reason: str) -> float:
    return telemetry.value("otelpy_deltatocumulative_dropped_points_total",
                           {"processor": "deltatocumulative", "reason": reason})


# (delta samples as (start s, time s, value), expected cumulative (start, time, value) per
#  forwarded sample; None = dropped)
SUM_CASES = {
    "accumulates": ([(0, 1, 2), (1, 2, 3), (2, 3, 5)], [(0, 1, 2), (0, 2, 5), (0, 3, 10)]),
    "out_of_order_dropped": ([(0, 2, 2), (1, 1, 3), (2, 3, 1)],
                             [(0, 2, 2), None, (0, 3, 3)]),
    "same_time_dropped": ([(0, 2, 2), (1, 2, 3)], [(0, 2, 2), None]),
    "older_start_dropped": ([(5, 6, 1), (4, 7, 1), (6, 8, 2)], [(5, 6, 1), None, (5, 8, 3)]),
    "gap_keeps_series": ([(0, 1, 1), (5, 6, 4)], [(0, 1, 1), (0, 6, 5)]),
}


@pytest.mark.parametrize("samples,expected", SUM_CASES.values(), ids=SUM_CASES.keys())
async def test_delta_sums(samples: list[tuple[int, int, int]],
                          expected: list[tuple[int, int, int] | None]) -> None:
    telemetry = Telemetry()
    proc, _ = _make(FakeClock(), telemetry)
    for (start, time, value), want in zip(samples, expected, strict=True):
        req = request_with("sum", DELTA, [{"start_time_unix_nano": T0 + start * S,
                                           "time_unix_nano": T0 + time * S,
                                           "as_int": value}])
        proc.process(req)
        got = points_of(req)
        if want is None:
            assert got == []
            continue
        assert req.resource_metrics[0].scope_metrics[0].metrics[0].sum \
            .aggregation_temporality == CUMULATIVE
        (point,) = got
        assert (point.start_time_unix_nano, point.time_unix_nano, point.as_int) == \
            (T0 + want[0] * S, T0 + want[1] * S, want[2])
    drops = sum(w is None for w in expected)
    assert _dropped(telemetry, "out_of_order") + _dropped(telemetry, "older_start") == drops


async def test_streams_are_separate_by_attributes_and_doubles_mix() -> None:
    proc, _ = _make(FakeClock(), Telemetry())
    req = request_with("sum", DELTA, [
        {"time_unix_nano": T0 + S, "as_int": 1, "attrs": {"k": "a"}},
        {"time_unix_nano": T0 + S, "as_double": 0.5, "attrs": {"k": "b"}}])
    proc.process(req)
    req = request_with("sum", DELTA, [
        {"time_unix_nano": T0 + 2 * S, "as_double": 1.5, "attrs": {"k": "a"}},
        {"time_unix_nano": T0 + 2 * S, "as_double": 0.25, "attrs": {"k": "b"}}])
    proc.process(req)
    assert [p.as_double for p in points_of(req)] == [2.5, 0.75]


async def test_histograms_add_bucketwise_and_reset_on_new_bounds() -> None:
    proc, _ = _make(FakeClock(), Telemetry())
    first = {"time_unix_nano": T0 + S, "count": 3, "sum": 6.0, "min": 1.0, "max": 4.0,
             "explicit_bounds": [1.0, 5.0], "bucket_counts": [1, 2, 0]}
    proc.process(request_with("histogram", DELTA, [first]))
    req = request_with("histogram", DELTA, [{
        "time_unix_nano": T0 + 2 * S, "count": 2, "sum": 10.0, "min": 0.5, "max": 9.0,
        "explicit_bounds": [1.0, 5.0], "bucket_counts": [1, 0, 1]}])
    proc.process(req)
    (p,) = points_of(req)
    assert (list(p.bucket_counts), p.count, p.sum, p.min, p.max) == ([2, 2, 1], 5, 16.0, 0.5, 9.0)
    req = request_with("histogram", DELTA, [{
        "time_unix_nano": T0 + 3 * S, "count": 1, "sum": 2.0,
        "explicit_bounds": [2.0], "bucket_counts": [0, 1]}])
    proc.process(req)
    (p,) = points_of(req)
    assert (list(p.bucket_counts), p.count, p.sum) == ([0, 1], 1, 2.0)


async def test_exponential_histograms_merge_at_the_coarser_scale() -> None:
    proc, _ = _make(FakeClock(), Telemetry())
    proc.process(request_with("exponential_histogram", DELTA, [{
        "time_unix_nano": T0 + S, "scale": 1, "count": 3, "sum": 7.0, "zero_count": 1,
        "positive": (2, [1, 1])}]))  # indexes 2, 3 at scale 1 -> 1, 1 at scale 0
    req = request_with("exponential_histogram", DELTA, [{
        "time_unix_nano": T0 + 2 * S, "scale": 0, "count": 2, "sum": 5.0, "zero_count": 0,
        "positive": (1, [1, 1]), "negative": (0, [3])}])
    proc.process(req)
    (p,) = points_of(req)
    assert (p.scale, p.count, p.sum, p.zero_count) == (0, 5, 12.0, 1)
    assert (p.positive.offset, list(p.positive.bucket_counts)) == (1, [3, 1])
    assert (p.negative.offset, list(p.negative.bucket_counts)) == (0, [3])


async def test_cumulative_and_gauges_pass_untouched() -> None:
    proc, sink = _make(FakeClock(), Telemetry())
    req = request_with("sum", CUMULATIVE, [{"time_unix_nano": T0 + S, "as_int": 7}])
    batch = Batch.from_bytes(Signal.METRICS, req.SerializeToString())
    await proc.consume_metrics(batch)
    assert sink.batches[0].data == req.SerializeToString()
    assert len(proc.streams) == 0


async def test_stream_limit_drops_new_streams_and_counts() -> None:
    telemetry = Telemetry()
    proc, _ = _make(FakeClock(), telemetry, max_streams=2)
    req = request_with("sum", DELTA, [
        {"time_unix_nano": T0 + S, "as_int": 1, "attrs": {"k": str(i)}} for i in range(3)])
    proc.process(req)
    assert [p.as_int for p in points_of(req)] == [1, 1]
    assert _dropped(telemetry, "limit") == 1
    req = request_with("sum", DELTA, [{"time_unix_nano": T0 + 2 * S, "as_int": 1,
                                       "attrs": {"k": "0"}}])
    proc.process(req)
    assert [p.as_int for p in points_of(req)] == [2]  # known streams still accumulate


async def test_stale_streams_are_evicted_by_the_clock() -> None:
    clock, telemetry = FakeClock(), Telemetry()
    proc, _ = _make(clock, telemetry, max_stale="2m")
    await proc.start(FakeHost())
    try:
        proc.process(request_with("sum", DELTA, [{"time_unix_nano": T0 + S, "as_int": 4}]))
        await clock.advance(60)
        assert len(proc.streams) == 1
        proc.process(request_with("sum", DELTA, [{"time_unix_nano": T0 + 2 * S, "as_int": 1,
                                                  "attrs": {"other": "x"}}]))
        await clock.advance(61)  # the first stream is 121 s old, the second 61 s
        assert len(proc.streams) == 1
        assert telemetry.value("otelpy_deltatocumulative_evicted_streams_total",
                               {"processor": "deltatocumulative"}) == 1
        req = request_with("sum", DELTA, [{"start_time_unix_nano": T0 + 200 * S,
                                           "time_unix_nano": T0 + 201 * S, "as_int": 5}])
        proc.process(req)
        assert [p.as_int for p in points_of(req)] == [5]  # started again
    finally:
        await proc.shutdown()
        await asyncio.sleep(0)
