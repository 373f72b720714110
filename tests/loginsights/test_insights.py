"""analyze_logs over a recorded ten-minute window: summary, error patterns, filters,
anomalies from log.anomaly events, and Pearson correlations against an independent
computation (statistics.correlation) and a hand-computed case."""

from __future__ import annotations

import math
import statistics
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from otelpy.loginsights import Filters, InsightsLimits, LogWindow, MetricSpec, analyze_logs
from otelpy.loginsights.query import pearson
from otelpy.logspike import Anomaly, anomaly_logs

T0 = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z
MIN = 60_000_000_000
LEVEL = {"INFO": 9, "WARN": 13, "ERROR": 17, "FATAL": 21}
TIMEOUT = ("a1", "ML model inference timeout after <*> ms")
REFUSED = ("b2", "connection refused to <*>")
SLOW = ("c3", "slow query took <*> ms")
# the recording: per minute, api errors (timeouts), ml errors, api warnings, infos, latency
API_ERRORS = [1, 3, 2, 8, 5, 0, 4, 9, 2, 6]
ML_ERRORS = [0, 1, 0, 2, 1, 0, 0, 3, 0, 1]
WARNINGS = [2, 2, 3, 1, 0, 4, 2, 2, 1, 3]
INFOS = [50, 52, 49, 55, 51, 50, 48, 53, 50, 52]
LATENCY_P95 = [110.0, 150.0, 130.0, 300.0, 210.0, 90.0, 180.0, 340.0, 120.0, 260.0]
QPS = [100.0, 98.0, 101.0, 99.0, 100.0, 102.0, 97.0, 100.0, 99.0, 101.0]


def logs(service: str, records: list[tuple[str, tuple[str, str] | None, str]]) -> Any:
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.add(key="service.name").value.string_value = service
    out = rl.scope_logs.add().log_records
    for level, pattern, body in records:
        r = out.add(severity_number=LEVEL[level])
        r.body.string_value = body
        if pattern is not None:
            r.attributes.add(key="log.pattern.id").value.string_value = pattern[0]
            r.attributes.add(key="log.pattern.template").value.string_value = pattern[1]
    return req


def gauge(name: str, service: str, value: float) -> Any:
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    rm.resource.attributes.add(key="service.name").value.string_value = service
    m = rm.scope_metrics.add().metrics.add(name=name)
    m.gauge.data_points.add(as_double=value)
    return req


def record(window: LogWindow) -> None:
    """Ten minutes of traffic, each minute's records at +10s, metrics at +30s and +40s."""
    for i in range(10):
        at = T0 + i * MIN
        window.add_logs(logs("recommendation-api",
                             [("ERROR", TIMEOUT, "ML model inference timeout after 5000 ms")] *
                             API_ERRORS[i] +
                             [("WARN", SLOW, "slow query took 900 ms")] * WARNINGS[i] +
                             [("INFO", None, "ok")] * INFOS[i]), at + 10 * 10**9)
        window.add_logs(logs("ml-inference",
                             [("ERROR", TIMEOUT, "ML model inference timeout after 7000 ms")] *
                             ML_ERRORS[i]), at + 11 * 10**9)
        # two points a minute: the mean is the recorded value
        for delta, at_s in ((-5.0, 30), (5.0, 40)):
            window.add_metrics(gauge("api_latency_p95", "recommendation-api",
                                     LATENCY_P95[i] + delta), at + at_s * 10**9)
        window.add_metrics(gauge("requests_per_second", "recommendation-api", QPS[i]),
                           at + 30 * 10**9)
    window.add_logs(logs("ml-inference", [("FATAL", REFUSED, "connection refused to redis")]),
                    T0 + 9 * MIN + 50 * 10**9)


@pytest.fixture
def window() -> LogWindow:
    w = LogWindow(InsightsLimits(metrics=(MetricSpec("api_latency_p95"),
                                          MetricSpec("requests_per_second", "max"),
                                          MetricSpec("never_sent"))))
    record(w)
    return w


NOW = T0 + 10 * MIN + 5 * 10**9  # five seconds into minute 10: minutes 0-9 complete


def test_summary_and_error_patterns(window: LogWindow) -> None:
    got = analyze_logs(window, 3600, NOW, Filters(), limit=10)
    assert got["summary"] == {
        "total_logs": sum(API_ERRORS) + sum(ML_ERRORS) + sum(WARNINGS) + sum(INFOS) + 1,
        "error_logs": sum(API_ERRORS) + sum(ML_ERRORS) + 1,
        "warning_logs": sum(WARNINGS), "unique_error_patterns": 2}
    timeout, refused = got["error_patterns"]
    assert timeout == {
        "pattern": TIMEOUT[1], "pattern_id": "a1",
        "frequency": sum(API_ERRORS) + sum(ML_ERRORS),
        "first_seen": "2026-01-01T00:00:10.000Z",
        "services_affected": ["ml-inference", "recommendation-api"], "severity": "ERROR",
        "suggested_action": "Check the latency and capacity of the service being called"}
    assert refused["pattern_id"] == "b2" and refused["frequency"] == 1
    assert refused["severity"] == "FATAL" and refused["first_seen"] == "2026-01-01T00:09:50.000Z"
    assert refused["suggested_action"] == "Check that the downstream service is up and reachable"


def test_filters_by_severity_service_and_range(window: LogWindow) -> None:
    got = analyze_logs(window, 3600, NOW, Filters(frozenset({"ERROR", "WARN"}),
                                                  "recommendation-api"), limit=10)
    assert got["summary"] == {"total_logs": sum(API_ERRORS) + sum(WARNINGS),
                              "error_logs": sum(API_ERRORS), "warning_logs": sum(WARNINGS),
                              "unique_error_patterns": 2}
    assert [(p["pattern_id"], p["frequency"], p["services_affected"])
            for p in got["error_patterns"]] == [("a1", sum(API_ERRORS),
                                                  ["recommendation-api"]),
                                                 ("c3", sum(WARNINGS), ["recommendation-api"])]
    assert got["filters"] == {"severity": ["WARN", "ERROR"], "service": "recommendation-api"}
    # the buckets overlapping the last 3 minutes (00:07:05-00:10:05): 7, 8, 9 and 10
    last = analyze_logs(window, 180, NOW, Filters(frozenset({"ERROR"})), limit=1)
    assert last["summary"]["error_logs"] == sum(API_ERRORS[7:]) + sum(ML_ERRORS[7:])
    assert last["summary"]["total_logs"] == last["summary"]["error_logs"]
    assert len(last["error_patterns"]) == 1  # limit; unique_error_patterns counts all
    assert last["summary"]["unique_error_patterns"] == 1  # FATAL is not in the filter


def test_correlations_match_an_independent_pearson(window: LogWindow) -> None:
    got = analyze_logs(window, 3600, NOW, Filters(), limit=10)
    latency, qps, never = got["correlations"]
    errors = [a + m for a, m in zip(API_ERRORS, ML_ERRORS, strict=True)]
    errors[9] += 1  # the FATAL record
    want = statistics.correlation(errors, LATENCY_P95)
    assert latency["correlation_score"] == pytest.approx(round(want, 4), abs=1e-12)
    assert latency["buckets"] == 10 and latency["correlation_score"] > 0.9
    assert latency["description"].startswith("strong positive correlation")
    assert qps["aggregation"] == "max"
    assert qps["correlation_score"] == pytest.approx(
        round(statistics.correlation(errors, QPS), 4), abs=1e-12)
    assert never == {"metric": "never_sent", "aggregation": "mean", "metric_service": None,
                     "buckets": 0, "correlation_score": None,
                     "description": "not enough data: 0 complete 60s buckets with a value of "
                                    "never_sent (at least 5, and both series must vary)"}
    per_service = analyze_logs(window, 3600, NOW, Filters(service="recommendation-api"), 10)
    assert per_service["correlations"][0]["metric_service"] == "recommendation-api"
    assert per_service["correlations"][0]["correlation_score"] == pytest.approx(
        round(statistics.correlation(API_ERRORS, LATENCY_P95), 4), abs=1e-12)


def test_current_bucket_is_left_out_of_correlations(window: LogWindow) -> None:
    window.add_metrics(gauge("api_latency_p95", "recommendation-api", 5000.0), NOW)
    got = analyze_logs(window, 3600, NOW, Filters(), limit=10)
    assert got["correlations"][0]["buckets"] == 10


def test_pearson_by_hand() -> None:
    # x = 1,2,3; y = 2,4,7: sxy = 5, sxx = 2, syy = 114/9 -> r = 15 / sqrt(228)
    assert pearson([1, 2, 3], [2, 4, 7]) == pytest.approx(15 / math.sqrt(228), rel=1e-15)
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert pearson([1, 1, 1], [1, 2, 3]) is None
    assert pearson([1], [2]) is None


def test_anomaly_events_become_anomalies(window: LogWindow) -> None:
    spike = Anomaly("error_spike", "a1", TIMEOUT[1], T0 + 7 * MIN, T0 + 8 * MIN, 9, 2.5, 3.0,
                    T0, ("0" * 31 + "1", "0" * 31 + "2"), ("recommendation-api",))
    new = Anomaly("new_pattern", "b2", REFUSED[1], T0 + 9 * MIN, T0 + 10 * MIN, 1, 0.0, 3.0,
                  T0 + 9 * MIN, (), ("ml-inference",))
    window.add_logs(anomaly_logs([spike], T0 + 7 * MIN + 20 * 10**9, 60, {}).message,
                    T0 + 7 * MIN + 20 * 10**9)
    window.add_logs(anomaly_logs([new], T0 + 9 * MIN + 50 * 10**9, 60, {}).message,
                    T0 + 9 * MIN + 50 * 10**9)
    got = analyze_logs(window, 3600, NOW, Filters(), limit=10)
    assert got["summary"]["total_logs"] == sum(API_ERRORS) + sum(ML_ERRORS) + \
        sum(WARNINGS) + sum(INFOS) + 1  # events are not log records of the services
    second, first = got["anomalies_detected"]  # newest first
    assert first == {
        "type": "error_spike", "severity": "high", "time_window": "00:07-00:08",
        "affected_traces": 2, "pattern": TIMEOUT[1], "pattern_id": "a1",
        "message": f"error spike: 9 records of '{TIMEOUT[1]}' in 60s (baseline 2.50, "
                   "factor 3)",
        "window_start": "2026-01-01T00:07:00.000Z", "window_end": "2026-01-01T00:08:00.000Z",
        "detected_at": "2026-01-01T00:07:20.000Z", "count": 9, "baseline": 2.5,
        "factor": 3.0, "trace_ids": ["0" * 31 + "1", "0" * 31 + "2"],
        "services": ["recommendation-api"]}
    assert second["type"] == "new_pattern" and second["severity"] == "medium"
    only_api = analyze_logs(window, 3600, NOW, Filters(service="recommendation-api"), 10)
    assert [a["type"] for a in only_api["anomalies_detected"]] == ["error_spike"]
    recent = analyze_logs(window, 60, NOW, Filters(), 10)
    assert [a["type"] for a in recent["anomalies_detected"]] == ["new_pattern"]


def test_window_is_bounded_and_counts_what_it_drops() -> None:
    w = LogWindow(InsightsLimits(window=120, max_services=2, max_patterns=2,
                                 max_anomalies=1))
    for svc in ("a", "b", "c"):
        w.add_logs(logs(svc, [("ERROR", (svc, svc), svc)]), T0)
    assert w.refused_records == 1  # service c
    w.add_logs(logs("a", [("ERROR", ("z", "z"), "z"), ("ERROR", ("a", "a"), "a")]), T0 + 1)
    assert w.refused_patterns == 1  # (a, z, ERROR) would be the third key
    got = analyze_logs(w, 120, T0 + 2, Filters(), 10)
    assert got["summary"]["error_logs"] == 4  # the record of pattern z still counts
    a = Anomaly("new_pattern", "a", "a", T0, T0 + MIN, 1, 0.0, 3.0, T0, (), ())
    for _ in range(2):
        w.add_logs(anomaly_logs([a], T0, 60, {}).message, T0 + 3)
    assert len(w.anomalies) == 1 and w.evicted_anomalies == 1
    # past the window every bucket, service, pattern and template goes
    w.evict(T0 + 4 * MIN)
    assert (len(w.buckets), w.templates, w.evicted_records, len(w.anomalies)) == \
        (0, {}, 4, 0)
    w.add_logs(logs("c", [("ERROR", ("c", "c"), "c")]), T0 + 4 * MIN)
    assert w.refused_records == 1  # room again: c is kept now


def test_records_without_a_pattern_id_group_by_body() -> None:
    w = LogWindow(InsightsLimits())
    w.add_logs(logs("x", [("ERROR", None, "disk full")] * 3 + [("INFO", None, "ok")]), T0)
    (p,) = analyze_logs(w, 60, T0, Filters(), 10)["error_patterns"]
    assert (p["pattern"], p["frequency"], len(p["pattern_id"])) == ("disk full", 3, 16)
    assert p["suggested_action"] == "Free disk space or grow the volume"
