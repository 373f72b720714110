"""The prometheus receiver against a local target on a FakeClock: conversion to OTLP, start
times, staleness, failures counted through ``up``."""

from __future__ import annotations

import math
from typing import Any

import pytest

from otelpy.testing.polling import until
from otelpy.testing.sink import SinkConsumer
from tests.receivers.prometheus.harness import make_receiver, metric_names, points
from tests.receivers.prometheus.target import Target

BODY = """# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{method="get",code="200"} 10
http_requests_total{method="post",code="500"} 2
# TYPE temperature gauge
temperature 21.5
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.1"} 3
latency_seconds_bucket{le="1"} 5
latency_seconds_bucket{le="+Inf"} 6
latency_seconds_sum 4.5
latency_seconds_count 6
# TYPE rpc summary
rpc{quantile="0.5"} 0.2
rpc{quantile="0.9"} 0.7
rpc_sum 12
rpc_count 40
untyped_thing{a="b"} 7
# TYPE target_info gauge
target_info{env="prod",region="eu"} 1
"""


@pytest.fixture
async def target():
    t = await Target(body=BODY).start()
    yield t
    await t.stop()


def _job(target: Target, **extra: object) -> dict:
    return {"global": {"scrape_interval": "10s"},
            "scrape_configs": [{"job_name": "app", "static_configs": [
                {"targets": [target.address], "labels": {"team": "a"}}], **extra}]}


async def _wait_batches(receiver, sink, clock, n: int) -> None:
    deadline = 400
    while len(sink.batches) < n and deadline:
        await clock.advance(0.5)
        await until(lambda: True, 0.01)
        deadline -= 1
    assert len(sink.batches) >= n, f"{len(sink.batches)} batches, wanted {n}"


async def _one_scrape(target: Target) -> tuple[Any, SinkConsumer]:
    """A receiver's first batch from ``target``, the receiver shut down."""
    receiver, sink, clock = make_receiver(_job(target))
    await receiver.start()
    try:
        await _wait_batches(receiver, sink, clock, 1)
    finally:
        await receiver.shutdown()
    return receiver, sink


async def test_counters_gauges_histograms_summaries_and_resource(target: Target) -> None:
    receiver, sink = await _one_scrape(target)
    names = metric_names(sink, 0)
    assert {"http_requests_total", "temperature", "latency_seconds", "rpc", "untyped_thing",
            "up", "scrape_duration_seconds", "scrape_samples_scraped",
            "scrape_samples_post_metric_relabeling", "scrape_series_added"} <= names
    assert "target_info" not in names
    res, metric, point = points(sink, "http_requests_total", 0)[0]
    assert res == {"service.name": "app", "service.instance.id": target.address,
                   "server.port": str(target.port), "url.scheme": "http", "env": "prod",
                   "region": "eu", "team": "a"}  # target_info has the target's labels too
    assert metric.sum.is_monotonic and metric.sum.aggregation_temporality == 2
    assert metric.description == "Requests."
    assert point.as_double == 10.0
    assert point.start_time_unix_nano == point.time_unix_nano
    assert {kv.key: kv.value.string_value for kv in point.attributes} == {
        "code": "200", "method": "get", "team": "a"}
    _, hist, hp = points(sink, "latency_seconds", 0)[0]
    assert list(hp.explicit_bounds) == [0.1, 1.0]
    assert list(hp.bucket_counts) == [3, 2, 1]
    assert (hp.count, hp.sum) == (6, 4.5)
    _, _, sp = points(sink, "rpc", 0)[0]
    assert (sp.count, sp.sum) == (40, 12.0)
    assert [(q.quantile, q.value) for q in sp.quantile_values] == [(0.5, 0.2), (0.9, 0.7)]
    _, untyped, up = points(sink, "untyped_thing", 0)[0]
    assert untyped.WhichOneof("data") == "gauge" and up.as_double == 7.0
    _, _, upp = points(sink, "up", 0)[0]
    assert upp.as_double == 1.0
    _, _, scraped = points(sink, "scrape_samples_scraped", 0)[0]
    assert scraped.as_double == 14.0


async def test_start_time_kept_then_reset_and_staleness(target: Target) -> None:
    receiver, sink, clock = make_receiver(_job(target))
    await receiver.start()
    try:
        await _wait_batches(receiver, sink, clock, 1)
        first = points(sink, "http_requests_total", 0)[0][2]
        target.body = BODY.replace("} 10\n", "} 15\n")
        await _wait_batches(receiver, sink, clock, 2)
        second = points(sink, "http_requests_total", 1)[0][2]
        assert second.as_double == 15.0
        assert second.start_time_unix_nano == first.time_unix_nano
        assert second.time_unix_nano == first.time_unix_nano + 10 * 10**9
        target.body = BODY.replace("} 10\n", "} 1\n").replace("temperature 21.5\n", "")
        await _wait_batches(receiver, sink, clock, 3)
        third = points(sink, "http_requests_total", 2)[0][2]
        assert third.start_time_unix_nano == third.time_unix_nano  # reset
        stale = points(sink, "temperature", 2)
        assert len(stale) == 1 and stale[0][2].flags == 1
        assert math.isclose(stale[0][2].as_double, 0.0)
        target.status = 500
        await _wait_batches(receiver, sink, clock, 4)
        assert points(sink, "up", 3)[0][2].as_double == 0.0
        assert all(p.flags == 1 for _, _, p in points(sink, "http_requests_total", 3))
        gone = points(sink, "latency_seconds", 3)[0][2]
        assert gone.flags == 1 and gone.count == 0
    finally:
        await receiver.shutdown()


@pytest.mark.parametrize("body,content_type,error", [
    ("\x00\x01garbage{{{\n", "text/plain", "line 1"),
    ("ok 1\n", "application/openmetrics-text; version=1.0.0", "does not end with # EOF"),
    ("x" * 5000 + " 1\n", "text/plain", "body size limit exceeded"),
], ids=["garbage", "openmetrics_without_eof", "too_large"])
async def test_bad_targets_report_up_zero_and_the_receiver_keeps_going(
        target: Target, body: str, content_type: str, error: str) -> None:
    receiver, sink, clock = make_receiver(_job(target, body_size_limit=4096))
    await receiver.start()
    try:
        await _wait_batches(receiver, sink, clock, 1)
        target.body, target.content_type = body, content_type
        await _wait_batches(receiver, sink, clock, 2)
        assert points(sink, "up", 1)[0][2].as_double == 0.0
        (loop,) = receiver.manager.loops()
        assert error in loop.last_error
        target.body, target.content_type = BODY, "text/plain"
        await _wait_batches(receiver, sink, clock, 3)  # flaps back up
        assert points(sink, "up", 2)[0][2].as_double == 1.0
        assert points(sink, "http_requests_total", 2)[0][2].as_double == 10.0
    finally:
        await receiver.shutdown()
    telemetry = receiver.settings.telemetry
    assert telemetry.value("otelpy_receiver_prometheus_scrapes_total",
                           {"receiver": "prometheus", "job": "app", "outcome": "failed"}) == 1


async def test_slow_target_times_out(target: Target) -> None:
    receiver, sink, clock = make_receiver(_job(target, scrape_timeout="1s"))
    target.delay = 5.0
    await receiver.start()
    try:
        await clock.advance(10)  # the first scrape has started; its timeout runs in real time
        await until(lambda: sink.batches, 20)
        assert points(sink, "up", 0)[0][2].as_double == 0.0
        (loop,) = receiver.manager.loops()
        assert "deadline exceeded" in loop.last_error
    finally:
        await receiver.shutdown()


async def test_unreachable_target_and_shutdown_staleness(target: Target) -> None:
    receiver, sink, clock = make_receiver(_job(target, metric_relabel_configs=[
        {"source_labels": ["__name__"], "regex": "rpc.*", "action": "drop"}], sample_limit=100))
    await receiver.start()
    try:
        await _wait_batches(receiver, sink, clock, 1)
        assert "rpc" not in metric_names(sink, 0)
        assert points(sink, "scrape_samples_post_metric_relabeling", 0)[0][2].as_double == 10
    finally:
        await receiver.shutdown()
    last = sink.batches[-1]
    assert all(p.flags == 1 for _, _, p in points(sink, "http_requests_total"))
    assert last.item_count > 0
    await target.stop()
    receiver2, sink2, clock2 = make_receiver(_job(target))
    await receiver2.start()
    try:
        await _wait_batches(receiver2, sink2, clock2, 1)
        assert points(sink2, "up", 0)[0][2].as_double == 0.0
    finally:
        await receiver2.shutdown()


async def test_series_seen_before_keep_labels_relabelling_and_counts(target: Target) -> None:
    receiver, sink, clock = make_receiver(_job(target, metric_relabel_configs=[
        {"source_labels": ["__name__"], "regex": "rpc.*", "action": "drop"},
        {"source_labels": ["method"], "target_label": "verb"}]))
    await receiver.start()
    try:
        await _wait_batches(receiver, sink, clock, 1)
        for n, value in ((2, 11), (3, 12), (4, 13)):
            target.body = BODY.replace("} 10\n", f"}} {value}\n").replace(
                'method="post",code="500"', 'code="500",method="post"')  # same series
            await _wait_batches(receiver, sink, clock, n)
            assert "rpc" not in metric_names(sink, n - 1)
            got = {tuple(sorted((kv.key, kv.value.string_value) for kv in p.attributes)):
                   (p.as_double, p.start_time_unix_nano < p.time_unix_nano)
                   for _, _, p in points(sink, "http_requests_total", n - 1)}
            assert got == {
                (("code", "200"), ("method", "get"), ("team", "a"), ("verb", "get")):
                    (float(value), True),
                (("code", "500"), ("method", "post"), ("team", "a"), ("verb", "post")):
                    (2.0, True)}
            report = {name: points(sink, name, n - 1)[0][2].as_double for name in (
                "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
                "scrape_series_added")}
            assert report == {"scrape_samples_scraped": 14.0,
                              "scrape_samples_post_metric_relabeling": 10.0,
                              "scrape_series_added": 0.0}
        target.body = BODY.replace('http_requests_total{method="get",code="200"} 10\n', "")
        await _wait_batches(receiver, sink, clock, 5)  # a series gone after repeated scrapes
        got = {kv.value.string_value: p.flags for _, _, p in points(sink, "http_requests_total")
               for kv in p.attributes if kv.key == "method"}
        assert got == {"get": 1, "post": 0}
        target.body = BODY
        await _wait_batches(receiver, sink, clock, 6)
        assert points(sink, "scrape_series_added")[0][2].as_double == 1.0  # get is back
    finally:
        await receiver.shutdown()


async def test_groups_without_quantiles_and_with_exemplars_on_the_second_scrape() -> None:
    """A summary of only _sum and _count (no quantile list to sort), and exemplars on
    series first seen without any (a group's lists are made on first use)."""
    plain = ("# TYPE s summary\ns_sum 3\ns_count 4\n# TYPE c counter\n"
             'c_total{k="v"} 5\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\n'
             "h_sum 1.5\nh_count 2\n# EOF\n")
    target = await Target(body=plain, content_type="application/openmetrics-text; "
                                                  "version=1.0.0").start()
    receiver, sink, clock = make_receiver(_job(target))
    await receiver.start()
    try:
        await _wait_batches(receiver, sink, clock, 1)
        _, _, sp = points(sink, "s", 0)[0]
        assert (sp.count, sp.sum, list(sp.quantile_values)) == (4, 3.0, [])
        target.body = plain.replace('c_total{k="v"} 5', 'c_total{k="v"} 6 # {t="a"} 1.0') \
            .replace('h_bucket{le="1"} 1', 'h_bucket{le="1"} 1 # {t="b"} 0.5')
        await _wait_batches(receiver, sink, clock, 2)
        _, _, cp = points(sink, "c_total", 1)[0]
        assert cp.as_double == 6.0 and [e.as_double for e in cp.exemplars] == [1.0]
        _, _, hp = points(sink, "h", 1)[0]
        assert list(hp.bucket_counts) == [1, 1] and [e.as_double for e in hp.exemplars] == [0.5]
        assert len(points(sink, "s", 1)) == 1
    finally:
        await receiver.shutdown()
        await target.stop()


async def test_a_histogram_whose_buckets_fall_is_dropped_and_counted(target: Target) -> None:
    target.body = BODY.replace('latency_seconds_bucket{le="1"} 5',
                               'latency_seconds_bucket{le="1"} 2')
    receiver, sink = await _one_scrape(target)
    names = metric_names(sink, 0)
    assert "latency_seconds" not in names
    assert {"http_requests_total", "rpc", "temperature", "up"} <= names
    assert receiver.settings.telemetry.value(
        "otelpy_receiver_prometheus_dropped_points_total",
        {"receiver": "prometheus", "job": "app"}) == 1
