"""cumulativetodelta: deltas per stream, resets, out-of-order points, initial_value modes,
include/exclude, and staleness eviction driven by a FakeClock."""

from __future__ import annotations

import math
from typing import Any

import pytest

from otelpy.pdata import Signal
from otelpy.processors.cumulativetodelta import CumulativeToDeltaConfig, factory
from otelpy.processors.cumulativetodelta.processor import CumulativeToDeltaProcessor
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


def _make(clock: FakeClock, telemetry: Telemetry, **config: Any
          ) -> CumulativeToDeltaProcessor:
    cfg = CumulativeToDeltaConfig.model_validate(config)
    assert cfg.validate_config() == []
    proc: CumulativeToDeltaProcessor = factory.create(
        settings_for("cumulativetodelta", clock, telemetry), cfg, Signal.METRICS,
        SinkConsumer())
    return proc


def _dropped(telemetry: Telemetry, reason: str) -> float:
    return telemetry.value("otelpy_cumulativetodelta_dropped_points_total",
                           {"processor": "cumulativetodelta", "reason": reason})


# cumulative samples (time s, value) with start 0 -> expected (start s, time s, delta)
SUM_CASES = {
    "differences": ([(1, 5), (2, 8), (3, 8)], [None, (1, 2, 3), (2, 3, 0)]),
    "reset_sends_value": ([(1, 5), (2, 8), (3, 2)], [None, (1, 2, 3), (2, 3, 2)]),
    "out_of_order": ([(2, 5), (1, 3), (3, 9)], [None, None, (2, 3, 4)]),
    "duplicate_time": ([(2, 5), (2, 6)], [None, None]),
}


@pytest.mark.parametrize("samples,expected", SUM_CASES.values(), ids=SUM_CASES.keys())
async def test_monotonic_sums(samples: list[tuple[int, int]],
                              expected: list[tuple[int, int, int] | None]) -> None:
    telemetry = Telemetry()
    proc = _make(FakeClock(), telemetry)
    for (time, value), want in zip(samples, expected, strict=True):
        req = request_with("sum", CUMULATIVE, [{"start_time_unix_nano": T0,
                                                "time_unix_nano": T0 + time * S,
                                                "as_int": value}])
        proc.process(req)
        got = points_of(req)
        if want is None:
            assert got == []
            continue
        (p,) = got
        assert req.resource_metrics[0].scope_metrics[0].metrics[0].sum \
            .aggregation_temporality == DELTA
        assert (p.start_time_unix_nano, p.time_unix_nano, p.as_int) == \
            (T0 + want[0] * S, T0 + want[1] * S, want[2])
    assert _dropped(telemetry, "initial") == 1  # auto: start (T0) is before the processor


INITIAL_CASES = {
    # mode, start offset from the processor start (s; None = unset), expected first delta
    "auto_start_after_processor": ("auto", 5, 7.0),
    "auto_start_before_processor": ("auto", -5, None),
    "auto_no_start": ("auto", None, None),
    "keep": ("keep", -5, 7.0),
    "drop": ("drop", 5, None),
}


@pytest.mark.parametrize("mode,start,expected", INITIAL_CASES.values(),
                         ids=INITIAL_CASES.keys())
async def test_initial_value(mode: str, start: int | None, expected: float | None) -> None:
    clock = FakeClock()
    proc = _make(clock, Telemetry(), initial_value=mode)
    point: dict[str, Any] = {"time_unix_nano": clock.time_ns() + 10 * S, "as_double": 7.0}
    if start is not None:
        point["start_time_unix_nano"] = clock.time_ns() + start * S
    req = request_with("sum", CUMULATIVE, [point])
    proc.process(req)
    assert [p.as_double for p in points_of(req)] == ([] if expected is None else [expected])


async def test_nan_dropped_and_non_monotonic_untouched() -> None:
    telemetry = Telemetry()
    proc = _make(FakeClock(), telemetry, initial_value="keep")
    req = request_with("sum", CUMULATIVE, [{"time_unix_nano": T0 + S, "as_double": math.nan}])
    proc.process(req)
    assert points_of(req) == [] and _dropped(telemetry, "nan") == 1
    req = request_with("sum", CUMULATIVE, [{"time_unix_nano": T0 + S, "as_int": 9}],
                       monotonic=False)
    proc.process(req)
    assert [p.as_int for p in points_of(req)] == [9]
    assert req.resource_metrics[0].scope_metrics[0].metrics[0].sum \
        .aggregation_temporality == CUMULATIVE


async def test_histograms_bucketwise_with_reset() -> None:
    proc = _make(FakeClock(), Telemetry(), initial_value="keep")

    def hist(t: int, counts: list[int], total: float) -> Any:
        return request_with("histogram", CUMULATIVE, [{
            "time_unix_nano": T0 + t * S, "count": sum(counts), "sum": total, "min": 0.1,
            "explicit_bounds": [1.0, 2.0], "bucket_counts": counts}])
    proc.process(hist(1, [1, 2, 0], 3.0))
    req = hist(2, [2, 4, 1], 9.5)
    proc.process(req)
    (p,) = points_of(req)
    assert (list(p.bucket_counts), p.count, p.sum, p.HasField("min")) == \
        ([1, 2, 1], 4, 6.5, False)
    req = hist(3, [1, 0, 0], 0.5)  # count went down: a reset, sent as is
    proc.process(req)
    (p,) = points_of(req)
    assert (list(p.bucket_counts), p.count, p.sum) == ([1, 0, 0], 1, 0.5)


MATCH_CASES = {
    "include_strict": ({"include": {"match_type": "strict", "metrics": ["a"]}}, {"a"}),
    "include_regexp": ({"include": {"match_type": "regexp", "metrics": ["^b"]}}, {"b1"}),
    "exclude_strict": ({"exclude": {"match_type": "strict", "metrics": ["a"]}}, {"b1", "c"}),
    "include_types": ({"include": {"metric_types": ["histogram"]}}, set()),
    "none": ({}, {"a", "b1", "c"}),
}


@pytest.mark.parametrize("config,converted", MATCH_CASES.values(), ids=MATCH_CASES.keys())
async def test_include_exclude(config: dict[str, Any], converted: set[str]) -> None:
    proc = _make(FakeClock(), Telemetry(), initial_value="keep", **config)
    for name in ("a", "b1", "c"):
        req = request_with("sum", CUMULATIVE, [{"time_unix_nano": T0 + S, "as_int": 1}],
                           name=name)
        proc.process(req)
        temporality = req.resource_metrics[0].scope_metrics[0].metrics[0].sum \
            .aggregation_temporality
        assert (temporality == DELTA) == (name in converted), name


@pytest.mark.parametrize("config,problem", [
    ({"include": {"metrics": ["a"]}}, "include.match_type"),
    ({"exclude": {"match_type": "strict"}}, "exclude.metrics"),
], ids=["metrics_without_match_type", "match_type_without_metrics"])
def test_validation(config: dict[str, Any], problem: str) -> None:
    problems = CumulativeToDeltaConfig.model_validate(config).validate_config()
    assert len(problems) == 1 and problems[0].startswith(problem)


async def test_max_staleness_forgets_streams() -> None:
    clock, telemetry = FakeClock(), Telemetry()
    proc = _make(clock, telemetry, max_staleness="30s", initial_value="keep")
    await proc.start(FakeHost())
    try:
        proc.process(request_with("sum", CUMULATIVE, [{"time_unix_nano": T0 + S,
                                                       "as_int": 10}]))
        await clock.advance(31)
        assert telemetry.value("otelpy_cumulativetodelta_evicted_streams_total",
                               {"processor": "cumulativetodelta"}) == 1
        req = request_with("sum", CUMULATIVE, [{"time_unix_nano": T0 + 40 * S, "as_int": 12}])
        proc.process(req)
        assert [p.as_int for p in points_of(req)] == [12]  # a first point again (keep)
    finally:
        await proc.shutdown()


async def test_stream_limit() -> None:
    telemetry = Telemetry()
    proc = _make(FakeClock(), telemetry, max_streams=1, initial_value="keep")
    req = request_with("sum", CUMULATIVE, [
        {"time_unix_nano": T0 + S, "as_int": 1, "attrs": {"k": str(i)}} for i in range(2)])
    proc.process(req)
    assert len(points_of(req)) == 1 and _dropped(telemetry, "limit") == 1
