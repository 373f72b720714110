"""Text 0.0.4 and OpenMetrics 1.0 output, number formatting, negotiation, bucket conversion."""

from __future__ import annotations

import math

import pytest

from otelpy.prometheus import SeriesStore, StoreSettings, go_float, negotiate, render
from otelpy.prometheus.exphist import classic_buckets
from otelpy.prometheus.exposition import OPENMETRICS, TEXT, om_float
from otelpy.testing.metrics import request

TRACE, SPAN = bytes(range(1, 17)), bytes(range(1, 9))
S = StoreSettings(without_scope_info=True)


@pytest.mark.parametrize(("value", "go", "om"), [
    (1.0, "1", "1.0"), (0.5, "0.5", "0.5"), (1e6, "1e+06", "1e+06"), (999999.0, "999999",
     "999999.0"), (1e20, "1e+20", "1e+20"), (-1.5e17, "-1.5e+17", "-1.5e+17"),
    (1e-5, "1e-05", "1e-05"), (0.0001, "0.0001", "0.0001"), (math.inf, "+Inf", "+Inf"),
    (-math.inf, "-Inf", "-Inf"), (math.nan, "NaN", "NaN"), (7, "7", "7.0"),
    (10**7, "1e+07", "1e+07"), (-0.25, "-0.25", "-0.25"),
    (-123456789.125, "-1.23456789125e+08", "-1.23456789125e+08"),
    (6890000.0, "6.89e+06", "6.89e+06"),
], ids=lambda v: str(v))
def test_numbers_as_go_writes_them(value: float, go: str, om: str) -> None:
    assert (go_float(value), om_float(value)) == (go, om)


def test_negotiate() -> None:
    prom = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
            "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
    assert negotiate(prom, True).content_type == OPENMETRICS
    assert negotiate(prom, False).content_type == TEXT
    assert negotiate("text/plain;q=0.9,application/openmetrics-text;q=0.5", True).content_type \
        == TEXT
    assert negotiate(None, True).content_type == TEXT


def _store() -> SeriesStore:
    store = SeriesStore(S)
    store.accumulate(request("sum", name="http.requests", unit="{request}",
                             description='Requests "served"\nper route', points=[{
                                 "as_int": 5, "time_unix_nano": 1_500_000_000,
                                 "attrs": {"route": "/a"},
                                 "exemplars": []}]))
    req = request("histogram", name="latency", unit="s", points=[{
        "count": 4, "sum": 22.5, "explicit_bounds": [5.0, 1.0, 5.0],
        "bucket_counts": [2, 1, 0, 1], "time_unix_nano": 2_000_000_000}])
    ex = req.resource_metrics[0].scope_metrics[0].metrics[0].histogram.data_points[0] \
        .exemplars.add()
    ex.as_double, ex.trace_id, ex.span_id, ex.time_unix_nano = 0.7, TRACE, SPAN, 1_250_000_000
    store.accumulate(req)
    return store


def test_text() -> None:
    assert render(_store(), negotiate(None, False), send_timestamps=True) == (
        '# HELP target_info Target metadata\n# TYPE target_info gauge\n'
        'target_info{host_name="h",instance="i-1",job="svc"} 1\n'
        '# HELP http_requests_total Requests "served"\\nper route\n'
        '# TYPE http_requests_total counter\n'
        'http_requests_total{instance="i-1",job="svc",route="/a"} 5 1500\n'
        '# TYPE latency_seconds histogram\n'
        'latency_seconds_bucket{instance="i-1",job="svc",le="1"} 1 2000\n'
        'latency_seconds_bucket{instance="i-1",job="svc",le="5"} 3 2000\n'
        'latency_seconds_bucket{instance="i-1",job="svc",le="+Inf"} 4 2000\n'
        'latency_seconds_sum{instance="i-1",job="svc"} 22.5 2000\n'
        'latency_seconds_count{instance="i-1",job="svc"} 4 2000\n')


def test_openmetrics_with_exemplar() -> None:
    body = render(_store(), negotiate("application/openmetrics-text", True))
    assert body == (
        '# HELP target_info Target metadata\n# TYPE target_info gauge\n'
        'target_info{host_name="h",instance="i-1",job="svc"} 1.0\n'
        '# HELP http_requests Requests \\"served\\"\\nper route\n'
        '# TYPE http_requests counter\n'
        'http_requests_total{instance="i-1",job="svc",route="/a"} 5.0\n'
        '# TYPE latency_seconds histogram\n'
        'latency_seconds_bucket{instance="i-1",job="svc",le="1.0"} 1 # '
        '{trace_id="0102030405060708090a0b0c0d0e0f10",span_id="0102030405060708"} 0.7 1.25\n'
        'latency_seconds_bucket{instance="i-1",job="svc",le="5.0"} 3\n'
        'latency_seconds_bucket{instance="i-1",job="svc",le="+Inf"} 4\n'
        'latency_seconds_sum{instance="i-1",job="svc"} 22.5\n'
        'latency_seconds_count{instance="i-1",job="svc"} 4\n'
        '# EOF\n')


def test_exponential_histogram_converted() -> None:
    store = SeriesStore(S)
    store.accumulate(request("exponential_histogram", name="size", points=[{
        "scale": 0, "count": 6, "sum": 3.0, "zero_count": 1, "zero_threshold": 0.001,
        "positive": (-1, [1, 1, 0, 0]), "negative": (0, [0, 2])}]))
    lines = [line for line in render(store, negotiate(None, False)).splitlines()
             if line.startswith("size_bucket")]
    assert [line.split("le=")[1] for line in lines] == [
        '"-2"} 2', '"0.001"} 3', '"1"} 4', '"2"} 5', '"+Inf"} 6']


def test_classic_buckets_fractional_scale() -> None:
    got = classic_buckets(1, 0, 0.0, (0, [1, 2]), (0, []))
    assert got == [(2 ** 0.5, 1), (2.0, 3)]


def test_summary_and_gauge() -> None:
    store = SeriesStore(S)
    store.accumulate(request("summary", name="rpc", points=[{
        "count": 3, "sum": 1.5, "quantile_values": []}]))
    q = store  # quantiles added below through the message
    req = request("summary", name="rpc2")
    point = req.resource_metrics[0].scope_metrics[0].metrics[0].summary.data_points[0]
    point.count, point.sum = 2, 0.5
    qv = point.quantile_values.add()
    qv.quantile, qv.value = 0.99, 0.25
    q.accumulate(req)
    body = render(store, negotiate(None, False))
    assert 'rpc2{instance="i-1",job="svc",quantile="0.99"} 0.25\n' in body
    assert 'rpc2_count{instance="i-1",job="svc"} 2\n' in body
    assert "# TYPE rpc summary\n" in body
