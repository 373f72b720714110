"""OTLP -> remote write series: names, labels, kinds, staleness, target_info, splitting."""

from __future__ import annotations

from typing import Any

import pytest

from otelpy.prometheus.prompb import (
    BucketSpan,
    MetricMetadata,
    decode_write_request,
    is_stale_nan,
)
from otelpy.prometheus.remotewrite import (
    RemoteWriteSettings,
    RemoteWriteTranslator,
    Translation,
    bucket_layout,
    write_requests,
)
from otelpy.testing.metrics import DELTA, request

T = 1_700_000_000_123_000_000  # ns
MS = 1_700_000_000_123
SCOPE = {"otel_scope_name": "scope", "otel_scope_version": "1"}
BASE = {"job": "svc", "instance": "i-1", **SCOPE}


def _translate(req: Any, **kw: Any) -> Translation:
    return RemoteWriteTranslator(RemoteWriteSettings(**kw)).translate(req)


def _samples(out: Translation) -> dict[tuple[tuple[str, str], ...], list[tuple[float, int]]]:
    return {k: [(s.value, s.timestamp) for s in v.samples] for k, v in out.series.items()}


def _key(**labels: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def test_counter_gauge_and_labels() -> None:
    req = request("sum", name="http.requests", unit="{request}",
                  points=[{"as_int": 5, "time_unix_nano": T, "attrs": {"route": "/a",
                                                                       "env": "point"}}])
    out = _translate(req, external_labels=(("env", "ext"), ("cluster", "c1")),
                     target_info=False)
    assert _samples(out) == {
        _key(__name__="http_requests_total", route="/a", env="point", cluster="c1",
             **BASE): [(5.0, MS)]}
    gauge = request("gauge", name="temp", unit="Cel",
                    points=[{"as_double": 21.5, "time_unix_nano": T}])
    assert _samples(_translate(gauge, target_info=False, namespace="shop")) == {
        _key(__name__="shop_temp_celsius", **BASE): [(21.5, MS)]}


def test_non_monotonic_cumulative_sum_is_a_gauge_and_deltas_are_dropped() -> None:
    updown = request("sum", name="queue", monotonic=False,
                     points=[{"as_int": -3, "time_unix_nano": T}])
    assert _samples(_translate(updown, target_info=False)) == {
        _key(__name__="queue", **BASE): [(-3.0, MS)]}
    for kind in ("sum", "histogram", "exponential_histogram"):
        delta = request(kind, temporality=DELTA, points=[{"time_unix_nano": T}] * 2)
        out = _translate(delta)
        assert out.series == {} and out.dropped == {"delta_temporality": 2}, kind


def test_histogram_series() -> None:
    req = request("histogram", name="latency", unit="ms", points=[{
        "time_unix_nano": T, "count": 4, "sum": 22.5, "explicit_bounds": [1.0, 5.0, 1e6],
        "bucket_counts": [1, 1, 1, 1], "attrs": {"route": "/a"}}])
    got = _samples(_translate(req, target_info=False))
    name = "latency_milliseconds"
    labels = {"route": "/a", **BASE}
    assert got == {
        _key(__name__=f"{name}_bucket", le="1", **labels): [(1.0, MS)],
        _key(__name__=f"{name}_bucket", le="5", **labels): [(2.0, MS)],
        _key(__name__=f"{name}_bucket", le="1000000", **labels): [(3.0, MS)],
        _key(__name__=f"{name}_bucket", le="+Inf", **labels): [(4.0, MS)],
        _key(__name__=f"{name}_sum", **labels): [(22.5, MS)],
        _key(__name__=f"{name}_count", **labels): [(4.0, MS)]}


def test_summary_series() -> None:
    req = request("summary", name="rt", unit="s", points=[{
        "time_unix_nano": T, "count": 10, "sum": 3.5, "attrs": {"a": "b"}}])
    q = req.resource_metrics[0].scope_metrics[0].metrics[0].summary.data_points[0]
    q.quantile_values.add(quantile=0.5, value=0.25)
    q.quantile_values.add(quantile=0.99, value=1.5)
    got = _samples(_translate(req, target_info=False))
    assert got == {
        _key(__name__="rt_seconds", quantile="0.5", a="b", **BASE): [(0.25, MS)],
        _key(__name__="rt_seconds", quantile="0.99", a="b", **BASE): [(1.5, MS)],
        _key(__name__="rt_seconds_sum", a="b", **BASE): [(3.5, MS)],
        _key(__name__="rt_seconds_count", a="b", **BASE): [(10.0, MS)]}


def test_no_recorded_value_is_the_stale_marker_on_every_series() -> None:
    req = request("histogram", name="h", points=[{
        "time_unix_nano": T, "flags": 1, "explicit_bounds": [1.0], "bucket_counts": [0, 0]}])
    out = _translate(req, target_info=False)
    assert len(out.series) == 3  # one bucket, +Inf, count (no sum set)
    assert all(is_stale_nan(s.samples[0].value) for s in out.series.values())
    gauge = _translate(request("gauge", points=[{"time_unix_nano": T, "flags": 1}]),
                       target_info=False)
    assert all(is_stale_nan(s.samples[0].value) for s in gauge.series.values())


def test_exponential_histogram_is_native() -> None:
    req = request("exponential_histogram", name="size", unit="By", points=[{
        "time_unix_nano": T, "count": 6, "sum": 20.0, "scale": 0, "zero_count": 1,
        "zero_threshold": 0.001, "positive": (0, [1, 2, 0, 0, 0, 0, 1]),
        "negative": (-1, [1])}])
    (series,) = _translate(req, target_info=False).series.values()
    assert series.labels == sorted({"__name__": "size_bytes", **BASE}.items())
    (h,) = series.histograms
    assert (h.count, h.sum, h.schema, h.zero_count, h.zero_threshold, h.timestamp) == (
        6, 20.0, 0, 1, 0.001, MS)
    # OTLP buckets 0,1 -> Prometheus 1,2; bucket 6 -> 7 after a gap of 4: a new span
    assert h.positive_spans == [BucketSpan(1, 2), BucketSpan(4, 1)]
    assert h.positive_deltas == [1, 1, -1]
    assert h.negative_spans == [BucketSpan(0, 1)] and h.negative_deltas == [1]


@pytest.mark.parametrize(("offset", "counts", "by", "spans", "deltas"), [
    (0, [1, 0, 2], 0, [BucketSpan(1, 3)], [1, -1, 2]),            # small gap filled
    (0, [1, 0, 0, 0, 2], 0, [BucketSpan(1, 1), BucketSpan(3, 1)], [1, 1]),
    (0, [1, 1, 1, 1], 1, [BucketSpan(1, 2)], [2, 0]),              # 0,1 -> 0; 2,3 -> 1
    (-3, [0, 5, 0], 0, [BucketSpan(-1, 1)], [5]),                  # empty ends left out
    (0, [], 0, [], []),
], ids=["gap-2-filled", "gap-3-span", "downscaled", "trimmed", "empty"])
def test_bucket_layout(offset: int, counts: list[int], by: int, spans: list[BucketSpan],
                       deltas: list[int]) -> None:
    assert bucket_layout(offset, counts, by) == (spans, deltas)


def test_exponential_scale_bounds() -> None:
    fine = request("exponential_histogram", points=[{
        "time_unix_nano": T, "count": 2, "scale": 10, "positive": (0, [1, 1, 1, 1])}])
    (series,) = _translate(fine, target_info=False).series.values()
    assert series.histograms[0].schema == 8
    assert series.histograms[0].positive_spans == [BucketSpan(1, 1)]
    assert series.histograms[0].positive_deltas == [4]
    coarse = request("exponential_histogram", points=[{"time_unix_nano": T, "scale": -5}])
    assert _translate(coarse).dropped == {"exponential_scale": 1}


def test_target_info() -> None:
    req = request("gauge", points=[{"time_unix_nano": T, "as_int": 1},
                                   {"time_unix_nano": T + 5_000_000, "as_int": 2,
                                    "attrs": {"k": "v"}}])
    out = _translate(req, namespace="ns", external_labels=(("cluster", "c1"),))
    assert _samples(out)[_key(__name__="ns_target_info", job="svc", instance="i-1",
                              host_name="h", cluster="c1")] == [(1.0, MS + 5)]
    only_service = request("gauge", points=[{"time_unix_nano": T}],
                           resource={"service.name": "svc"})
    assert not any(dict(k)["__name__"] == "target_info"
                   for k in _translate(only_service).series)
    no_job = request("gauge", points=[{"time_unix_nano": T}], resource={"host.name": "h"})
    assert not any(dict(k)["__name__"] == "target_info" for k in _translate(no_job).series)


def test_resource_to_telemetry() -> None:
    req = request("gauge", name="g", points=[{"time_unix_nano": T, "as_int": 1}])
    out = _translate(req, resource_to_telemetry=True, target_info=False,
                     without_scope_info=True)
    assert _samples(out) == {_key(__name__="g", job="svc", instance="i-1", host_name="h",
                                  service_name="svc", service_instance_id="i-1"): [(1.0, MS)]}


def test_same_series_twice_is_merged_and_sorted() -> None:
    req = request("gauge", points=[{"time_unix_nano": T + 1_000_000, "as_int": 2},
                                   {"time_unix_nano": T, "as_int": 1}])
    out = _translate(req, target_info=False)
    (series,) = out.ordered()
    assert [(s.value, s.timestamp) for s in series.samples] == [(1.0, MS), (2.0, MS + 1)]


def test_metadata() -> None:
    req = request("sum", name="jobs", unit="1", description="done jobs",
                  points=[{"time_unix_nano": T}])
    assert list(_translate(req, send_metadata=True).metadata.values()) == [
        MetricMetadata(1, "jobs_total", "done jobs", "1")]
    assert _translate(req).metadata == {}


def test_write_requests_split_at_max_bytes() -> None:
    points = [{"time_unix_nano": T, "as_int": i, "attrs": {"i": str(i)}} for i in range(50)]
    out = _translate(request("gauge", points=points), send_metadata=True, target_info=False)
    series = out.ordered()
    whole = write_requests(series, list(out.metadata.values()), 10_000_000)
    assert [n for _, n in whole] == [50]
    parts = write_requests(series, list(out.metadata.values()), 1000)
    assert len(parts) > 3 and all(len(p) <= 1000 for p, _ in parts)
    assert b"".join(p for p, _ in parts) == whole[0][0]  # same entries, same order
    decoded = [decode_write_request(p) for p, _ in parts]
    assert [len(d.timeseries) for d in decoded] == [n for _, n in parts]
    assert sum(n for _, n in parts) == 50
    assert [m.metric_family_name for d in decoded for m in d.metadata] == ["m"]
    (alone,) = write_requests(series[:1], [], 10)  # larger than the bound: sent alone
    assert alone == (whole[0][0][:len(alone[0])], 1)


def _mixed_request() -> Any:
    """Number points of every layout: start times, ints, stale, exemplars, attributes that
    are not strings or are empty, the same labels twice; histograms."""
    points = [
        {"attrs": {"a": "1"}, "start_time_unix_nano": T - 10, "time_unix_nano": T,
         "as_double": 1.5},
        {"attrs": {"a": "2"}, "start_time_unix_nano": T - 10, "time_unix_nano": T,
         "as_int": -7},
        {"attrs": {"a": "3"}, "time_unix_nano": T, "as_double": 0.0},
        {"attrs": {"a": "4"}, "start_time_unix_nano": T - 10, "time_unix_nano": T,
         "flags": 1},
        {"attrs": {"a": 5}, "start_time_unix_nano": T - 10, "time_unix_nano": T,
         "as_double": 2.0},
        {"attrs": {"a": 6}, "start_time_unix_nano": T - 10, "time_unix_nano": T,
         "as_double": 3.0},
        {"attrs": {"a": "", "b": "x"}, "start_time_unix_nano": T - 10, "time_unix_nano": T,
         "as_double": 4.0},
        {"attrs": {"a": "1"}, "start_time_unix_nano": T - 10, "time_unix_nano": T + 10**6,
         "as_double": 9.0},
        {"attrs": {}, "time_unix_nano": T + 5 * 10**6, "as_double": 8.0},
    ]
    req = request("sum", name="c", points=points)
    point = req.resource_metrics[0].scope_metrics[0].metrics[0].sum.data_points[0]
    point.exemplars.add(as_double=1.0, time_unix_nano=T)
    hist = request("histogram", name="h", points=[
        {"attrs": {"k": "v"}, "time_unix_nano": T, "count": 3, "sum": 1.0,
         "explicit_bounds": [0.5, 1.0], "bucket_counts": [1, 1, 1]},
        {"attrs": {"k": 1}, "time_unix_nano": T, "count": 2,
         "explicit_bounds": [0.5], "bucket_counts": [2, 0]},
        {"attrs": {"k": "v"}, "time_unix_nano": T + 10**6, "count": 3, "flags": 1,
         "explicit_bounds": [0.5, 1.0], "bucket_counts": [1, 1, 1]}])
    req.resource_metrics[0].scope_metrics[0].metrics.extend(
        hist.resource_metrics[0].scope_metrics[0].metrics)
    return req


def test_remembered_series_translate_as_the_first_time() -> None:
    req = _mixed_request()
    translator = RemoteWriteTranslator(RemoteWriteSettings())
    first = translator.translate(req)
    second = translator.translate(req)  # every remembered label set used
    fresh = _translate(req)

    def norm(out: Translation) -> dict[Any, list[Any]]:
        return {k: [(repr(v), t) for v, t in got] for k, got in _samples(out).items()}

    assert norm(first) == norm(second) == norm(fresh)
    assert first.points == second.points == 12
    got = _samples(fresh)
    assert got[_key(__name__="c_total", a="1", **BASE)] == [(1.5, MS), (9.0, MS + 1)]
    assert got[_key(__name__="c_total", a="2", **BASE)] == [(-7.0, MS)]
    assert got[_key(__name__="c_total", a="5", **BASE)] == [(2.0, MS)]
    assert got[_key(__name__="c_total", b="x", **BASE)] == [(4.0, MS)]
    assert got[_key(__name__="c_total", **BASE)] == [(8.0, MS + 5)]
    assert is_stale_nan(got[_key(__name__="c_total", a="4", **BASE)][0][0])
    assert got[_key(__name__="h_bucket", k="v", le="0.5", **BASE)][0] == (1.0, MS)
    assert got[_key(__name__="h_bucket", k="1", le="+Inf", **BASE)] == [(2.0, MS)]
    assert _key(__name__="h_sum", k="1", **BASE) not in got
    assert is_stale_nan(got[_key(__name__="h_count", k="v", **BASE)][1][0])
    for out in (first, second):  # the fast writer and the TimeSeries encoder agree
        fast = decode_write_request(b"".join(b for b, _ in out.requests(10_000_000)))
        slow = decode_write_request(b"".join(
            b for b, _ in write_requests(out.ordered(), [], 10_000_000)))
        assert repr(fast) == repr(slow) and len(fast.timeseries) == len(out)


def test_fast_requests_split_at_max_bytes_with_metadata() -> None:
    points = [{"attrs": {"i": str(i)}, "time_unix_nano": T, "as_double": float(i)}
              for i in range(50)]
    out = _translate(request("gauge", points=points), send_metadata=True, target_info=False)
    parts = out.requests(1000)
    assert len(parts) > 1 and all(len(body) <= 1000 for body, _ in parts)
    assert sum(n for _, n in parts) == 50
    whole = write_requests(out.ordered(), list(out.metadata.values()), 1000)
    assert [n for _, n in parts] == [n for _, n in whole]
    assert b"".join(b for b, _ in parts) == b"".join(b for b, _ in whole)
